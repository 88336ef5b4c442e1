"""The dbt project as Dagster assets: one asset per model, seed and snapshot, dbt tests as asset checks.

dagster-dbt does the heavy lifting: its specs (deps through ephemeral models, checks; see specs, which keeps
them across loads) and its CLI resource (selection, event stream). A dbt multi-asset here is what
`@dbt_assets` builds, fed with those specs (tests/dagster/test_dbt_parity.py). floe adds the translator
(source mapping, owners, classifications), one multi-asset per partitions definition (Dagster allows one
per multi-asset: the orchestration plan says which node gets which), and the partition handed to dbt as
--vars (dbt.invocation).

Built once per load, from the plan: `build(slices)` for the code location, `scoped(...)` for a job's own
dbt op (orchestration.job_scope).
"""

# No `from __future__ import annotations`: Dagster inspects the compute function's `context` annotation
# at definition time and needs the real class, not a string.
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dagster import (
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    BackfillPolicy,
    PartitionsDefinition,
    TimeWindowPartitionsDefinition,
    multi_asset,
)
from dagster_dbt import DbtCliResource

from floe_dagster.compat import DAGSTER_DBT_SELECT_METADATA_KEY
from floe_dagster.dbt.invocation import build_args
from floe_dagster.dbt.specs import DbtProjectSpecs
from floe_dagster.observability import Observability
from floe_dagster.resources import DBT_RESOURCE_KEY


@dataclass(frozen=True)
class DbtSlice:
    """The dbt nodes sharing one partitions definition: one multi-asset."""

    specs: tuple[AssetSpec, ...]  # as the code location shows them (floe.yaml's asset rules applied)
    partitions_def: PartitionsDefinition | None
    backfill_policy: BackfillPolicy | None = None  # None: what @dbt_assets chooses for the partitions


def slice_specs(
    specs: Sequence[AssetSpec],
    partitions_for: Callable[[AssetKey], PartitionsDefinition | None],
    policy_for: Callable[[Collection[AssetKey]], BackfillPolicy | None],
) -> list[DbtSlice]:
    """`specs` grouped by partitions definition, in first-seen order; every spec lands in exactly one."""
    groups: list[tuple[PartitionsDefinition | None, list[AssetSpec]]] = []
    for spec in specs:
        pdef = partitions_for(spec.key)
        group = next((g for g in groups if _same(g[0], pdef)), None)
        if group is None:
            group = (pdef, [])
            groups.append(group)
        group[1].append(spec)
    return [
        DbtSlice(tuple(members), pdef, policy_for([s.key for s in members])) for pdef, members in groups
    ] or [DbtSlice((), None)]


def _same(a: PartitionsDefinition | None, b: PartitionsDefinition | None) -> bool:
    if a is None or b is None:
        return a is b
    try:
        return a is b or bool(a == b)
    except Exception:  # some partitions definitions do not compare; identity is then the grouping
        return False


class DbtAssetsBuilder:
    """Builds the dbt multi-assets of one dbt project, observed by `observer`."""

    def __init__(
        self,
        project: DbtProjectSpecs,
        observer: Observability,
        key_patterns: Mapping[str, str] | None = None,
        pool: str | None = None,
    ) -> None:
        self.project = project
        self.observer = observer
        self.key_patterns = dict(key_patterns or {})  # dynamic partitions name -> safe key pattern
        self.pool = pool  # the DuckDB file's writer pool (floe_dagster.pools), None for other targets
        self.base_name = "dbt_" + re.sub(r"[^A-Za-z0-9_]", "_", project.project_name or "project")

    def build(self, slices: Sequence[DbtSlice]) -> list[AssetsDefinition]:
        """One multi-asset per slice; the unpartitioned one (or the only one) keeps the plain name."""
        return [
            self.multi_asset(
                piece.specs,
                name=self.base_name
                if len(slices) == 1 or piece.partitions_def is None
                else f"{self.base_name}_{index}",
                pdef=piece.partitions_def,
                backfill_policy=piece.backfill_policy,
            )
            for index, piece in enumerate(slices)
        ]

    def scoped(self, whole: AssetsDefinition, keys: Collection[AssetKey], name: str) -> AssetsDefinition:
        """`whole` (one of `build`'s multi-assets) cut down to `keys`, with an op of its own named `name`
        (see orchestration.job_scope): same specs, checks, partitions and backfill policy."""
        wanted = set(keys)
        return self.multi_asset(
            [s for s in whole.specs if s.key in wanted],  # whole's order: by dbt unique id
            name=name,
            pdef=whole.partitions_def,
            checks=[c for c in whole.check_specs if c.asset_key in wanted],
            backfill_policy=whole.backfill_policy,
        )

    def multi_asset(
        self,
        specs: Sequence[AssetSpec],
        *,
        name: str,
        pdef: PartitionsDefinition | None,
        checks: Sequence[AssetCheckSpec] | None = None,
        backfill_policy: BackfillPolicy | None = None,
    ) -> AssetsDefinition:
        """What dagster-dbt's `@dbt_assets` builds, from specs floe already has: the same multi-asset
        arguments, op tags and backfill policy. `checks` defaults to the project's checks on `specs`."""
        project, observer, key_patterns = self.project, self.observer, self.key_patterns
        keys = {s.key for s in specs}
        if checks is None:
            checks = [c for c in project.check_specs if c.asset_key in keys]
        every = len(specs) == len(project.specs)
        select = "fqn:*" if every else " ".join(_fqn_selector(project, s) for s in specs)
        if backfill_policy is None and isinstance(pdef, TimeWindowPartitionsDefinition):
            backfill_policy = BackfillPolicy.single_run()

        @multi_asset(
            name=name,
            specs=list(specs),
            check_specs=list(checks),
            can_subset=True,
            required_resource_keys={DBT_RESOURCE_KEY},
            partitions_def=pdef,
            op_tags={DAGSTER_DBT_SELECT_METADATA_KEY: select},
            backfill_policy=backfill_policy,
            allow_arbitrary_check_specs=True,
            pool=self.pool,
        )
        def _dbt_build(context: AssetExecutionContext) -> Iterator[Any]:
            dbt: DbtCliResource = getattr(context.resources, DBT_RESOURCE_KEY)
            invocation = dbt.cli(build_args(context, key_patterns), context=context)
            yield from observer.observe_dbt(context, invocation)

        return _dbt_build


def _fqn_selector(project: DbtProjectSpecs, spec: AssetSpec) -> str:
    return "fqn:" + ".".join(project.nodes[project.unique_id(spec)].fqn)
