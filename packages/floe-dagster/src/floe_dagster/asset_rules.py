"""`orchestration.assets` rules: which assets they match and the attributes they give them.

Rules are resolved against the whole asset graph (Python assets and dbt models alike) once at load.
Each pattern is a key glob (`raw_*`, `silver/*`, on the key written with '/') or a Dagster selection
string (`group:silver`, `tag:layer=gold`, `key:stg_orders+`, `group:a and not kind:python`).
A rule matching nothing is an error: it is almost always a typo, and silently doing nothing would hide it.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dagster import (
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    AssetSpec,
    AutomationCondition,
    BackfillPolicy,
    PartitionsDefinition,
)
from dagster._core.definitions.assets.graph.asset_graph import AssetGraph
from floe_core.errors import Issue
from floe_core.paths import format_path
from floe_core.spec.orchestration import OrchestrationConfig
from floe_core.spec.orchestration.assets import is_selection_string

from floe_dagster.automation import automation_condition

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


def asset_graph(assets: Iterable[AssetLike]) -> AssetGraph:
    return AssetGraph.from_assets(list(assets))  # type: ignore[arg-type]  # AssetSpecs are accepted


def match_pattern(pattern: str, graph: AssetGraph) -> set[AssetKey]:
    """Keys matched by a glob or a Dagster selection string; ValueError (Dagster's reason) if unparsable."""
    keys = graph.get_all_asset_keys()
    if not is_selection_string(pattern):
        return {k for k in keys if fnmatch.fnmatchcase(k.to_user_string(), pattern)}
    try:
        selection = AssetSelection.from_string(pattern)
        return set(selection.resolve(graph, allow_missing=True))
    except Exception as exc:  # Dagster raises several types for bad syntax/unknown attributes
        raise ValueError(f"invalid asset selection {pattern!r}: {exc}") from exc


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

    def apply(self, assets: Sequence[AssetLike], *, set_partitions: bool) -> list[AssetLike]:
        """The assets with the rules' attributes. `set_partitions` for Python assets; dbt multi-assets are
        already split by partitions definition (build_dbt_assets gets `partitions_for`)."""
        return [self._apply_one(a, set_partitions) for a in assets]

    def _apply_one(self, asset: AssetLike, set_partitions: bool) -> AssetLike:
        if isinstance(asset, AssetSpec):
            return self._spec(asset, set_partitions)
        keys = [k for k in asset.keys if k in self.attributes]
        if not keys:
            return asset
        mapped = asset.map_asset_specs(lambda spec: self._spec(spec, set_partitions))
        policy = self._backfill_policy(keys)
        return mapped.with_attributes(backfill_policy=policy) if policy is not None else mapped

    def _spec(self, spec: AssetSpec, set_partitions: bool) -> AssetSpec:
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

    def _backfill_policy(self, keys: Sequence[AssetKey]) -> BackfillPolicy | None:
        chosen = [self.attributes[k] for k in keys if self.attributes[k].backfill_policy_set]
        if not chosen:
            return None
        # One policy per multi-asset: the most conservative bound wins when rules disagree.
        bounds = [a.max_partitions_per_run for a in chosen if a.max_partitions_per_run is not None]
        return BackfillPolicy.multi_run(min(bounds)) if bounds else BackfillPolicy.single_run()


def resolve_rules(
    config: OrchestrationConfig,
    graph: AssetGraph,
    partitions_defs: Mapping[str, PartitionsDefinition],
) -> RuleResolution:
    """Match every rule against `graph`; collect an Issue for each unparsable or empty pattern."""
    attributes: dict[AssetKey, AssetAttributes] = {}
    issues: list[Issue] = []
    for index, rule in enumerate(config.assets):
        matched: set[AssetKey] = set()
        for j, pattern in enumerate(rule.select):
            path = format_path(("orchestration", "assets", index, "select", j))
            try:
                found = match_pattern(pattern, graph)
            except ValueError as exc:
                issues.append(Issue(path, str(exc), pattern))
                continue
            if not found:
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
