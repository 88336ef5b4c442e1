"""`orchestration.assets` rules: which assets they match and the attributes they give them.

Rules are resolved once per load against the planning graph (Python assets and dbt models alike, before
the dbt assets are built: see plan).
Each pattern is a key glob (`raw_*`, `silver/*`, on the key written with '/') or a Dagster selection
string (`group:silver`, `tag:layer=gold`, `key:stg_orders+`, `group:a and not kind:python`).
A rule matching nothing is an error: it is almost always a typo, and silently doing nothing would hide it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from dagster import (
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    AutomationCondition,
    BackfillPolicy,
    PartitionsDefinition,
)
from floe_core.errors import Issue
from floe_core.paths import format_path
from floe_core.spec.orchestration import OrchestrationConfig

from floe_dagster.compat import AssetGraph
from floe_dagster.orchestration.automation import automation_condition
from floe_dagster.orchestration.selection import match_pattern, unmatched_terms

AssetLike = AssetsDefinition | AssetSpec


@dataclass(frozen=True)
class AssetAttributes:
    """What the rules say about one asset key (later rules override earlier ones per attribute)."""

    partitions: str | None = None
    automation: AutomationCondition[Any] | None = None
    automation_rule: str | None = None  # floe.yaml path of the rule that set it, for warnings
    max_partitions_per_run: int | None = None
    backfill_policy_set: bool = False
    group: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass
class RuleResolution:
    """The rules resolved against one asset graph."""

    attributes: dict[AssetKey, AssetAttributes]
    partitions_defs: Mapping[str, PartitionsDefinition]
    issues: list[Issue]

    def partitions_for_key(self, key: AssetKey) -> PartitionsDefinition | None:
        name = self.attributes.get(key, AssetAttributes()).partitions
        return None if name is None else self.partitions_defs[name]

    @property
    def automated_keys(self) -> set[AssetKey]:
        return {k for k, a in self.attributes.items() if a.automation is not None}

    def apply(self, asset: AssetsDefinition) -> AssetsDefinition:
        """A (Python or external) assets definition with the rules' attributes, partitions included."""
        keys = [k for k in asset.keys if k in self.attributes]
        if not keys:
            return asset
        mapped = asset.map_asset_specs(lambda spec: self.spec(spec, set_partitions=True))
        policy = self.backfill_policy(keys) if asset.is_executable else None
        return mapped.with_attributes(backfill_policy=policy) if policy is not None else mapped

    def spec(self, spec: AssetSpec, *, set_partitions: bool) -> AssetSpec:
        """`spec` with the rules' attributes; partitions only with `set_partitions` (dbt specs are grouped
        into one multi-asset per partitions definition instead: dbt.assets.slice_specs)."""
        attrs = self.attributes.get(spec.key)
        if attrs is None:
            return spec
        if attrs.group is not None:
            spec = spec.replace_attributes(group_name=attrs.group)
        if attrs.tags:
            spec = spec.merge_attributes(tags=dict(attrs.tags))
        if attrs.automation is not None:
            spec = spec.replace_attributes(automation_condition=attrs.automation)
        if set_partitions and attrs.partitions is not None:
            spec = spec.replace_attributes(partitions_def=self.partitions_defs[attrs.partitions])
        return spec

    def backfill_policy(self, keys: Collection[AssetKey]) -> BackfillPolicy | None:
        """The policy rules give the multi-asset holding `keys`; None when no rule sets one."""
        chosen = [
            self.attributes[k]
            for k in keys
            if k in self.attributes and self.attributes[k].backfill_policy_set
        ]
        if not chosen:
            return None
        # One policy per multi-asset: the most conservative bound wins when rules disagree.
        bounds = [a.max_partitions_per_run for a in chosen if a.max_partitions_per_run is not None]
        return BackfillPolicy.multi_run(min(bounds)) if bounds else BackfillPolicy.single_run()


def resolve_rules(
    config: OrchestrationConfig,
    graph: AssetGraph | None,
    partitions_defs: Mapping[str, PartitionsDefinition],
) -> RuleResolution:
    """Match every rule against `graph` (None: there are no rules); an Issue per unparsable or empty
    pattern."""
    attributes: dict[AssetKey, AssetAttributes] = {}
    issues: list[Issue] = []
    if graph is None:
        return RuleResolution(attributes, partitions_defs, issues)
    for index, rule in enumerate(config.assets):
        matched: set[AssetKey] = set()
        for j, pattern in enumerate(rule.select):
            path = format_path(("orchestration", "assets", index, "select", j))
            try:
                found = match_pattern(pattern, graph)
            except ValueError as exc:
                issues.append(Issue(path, str(exc), pattern))
                continue
            terms = unmatched_terms(pattern, graph)  # a mistyped name, said by name (with a hint)
            issues += [Issue(path, problem, pattern) for problem in terms]
            if not found and not terms:
                issues.append(
                    Issue(
                        path,
                        "matches no asset: expected a key glob or selection matching Python or dbt assets",
                        pattern,
                    )
                )
            matched |= found
        rule_path = format_path(("orchestration", "assets", index))
        condition = automation_condition(rule.automation) if rule.automation else None
        for key in matched:
            current = attributes.get(key, AssetAttributes())
            attributes[key] = replace(
                current,
                partitions=rule.partitions or current.partitions,
                automation=condition or current.automation,
                automation_rule=rule_path if condition else current.automation_rule,
                max_partitions_per_run=(
                    rule.backfill_policy.max_partitions_per_run
                    if rule.backfill_policy
                    else current.max_partitions_per_run
                ),
                backfill_policy_set=current.backfill_policy_set or rule.backfill_policy is not None,
                group=rule.group or current.group,
                tags={**current.tags, **rule.tags},
            )
    return RuleResolution(attributes, partitions_defs, issues)
