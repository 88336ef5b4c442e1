"""A floe.yaml batch job as a job of its own: its dbt models run through an op that holds only them.

Why: Dagster resolves an asset job against the whole asset graph. A dbt project is one multi-asset, so a
job selecting any of its models subsets that multi-asset, copies every model it does not select as an
unexecutable asset and normalizes all of them again, and the job's snapshot carries the op's every output:
about 1.3 s per job at 5000 models, on every load of the code location (bench: 50 jobs made a load 6.5x
slower, identically with plain dagster-dbt). Here each job gets a dbt op cut down to its own models
(`dbt.assets.DbtAssetsBuilder.scoped`) and is resolved against a graph of just its assets and their direct
parents (as external assets, which is all its steps read), so a job costs in proportion to its size.

The same: asset keys, specs (with floe.yaml's rules applied), checks, partitions, backfill policy, the
dbt invocation (`dbt build --select <the job's models>`), lineage and spans. Different: the dbt op's name
inside the job is `<dbt op>__<job>`, because Dagster wants op names unique in a code location.

A job of dbt models only (no Python asset in it or upstream of it, no Python check on it) is built straight
from its graph (`compat.dbt_only_job`), which is what resolving it in a repository ends with: Dagster's way
normalizes the job's assets twice (for the repository, then for the job) and binds resources asset by asset,
a third of a scoped job's cost (bench/notes.md section 2). Its job snapshot is identical
(tests/orchestration/test_job_scope.py); any other job goes through a repository.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from dagster import (
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    AssetSpec,
    Definitions,
    JobDefinition,
    SourceAsset,
    define_asset_job,
)

from floe_dagster import compat
from floe_dagster.compat import AssetGraph
from floe_dagster.dbt.assets import DbtAssetsBuilder
from floe_dagster.orchestration.jobs import BatchJobPlan, job_tags

Owner = AssetsDefinition | AssetSpec | SourceAsset


@dataclass(frozen=True)
class ScopeInputs:
    """The code location's final assets (rules applied, Python assets wrapped for observability)."""

    graph: AssetGraph  # the planning graph: the final assets' keys and dependencies
    owners: Mapping[AssetKey, Owner]  # every asset key -> what defines it
    dbt_assets: Collection[AssetsDefinition]  # the dbt multi-assets among the owners
    checks: Sequence[AssetsDefinition]  # standalone asset checks (Python modules)
    resources: Mapping[str, object]
    dbt: DbtAssetsBuilder | None  # cuts a dbt multi-asset down to a job's models


@dataclass(frozen=True)
class JobLabels:
    """What a floe.yaml batch job carries besides its assets."""

    description: str | None
    tags: Mapping[str, str]
    run_tags: Mapping[str, str]

    @classmethod
    def of(cls, plan: BatchJobPlan) -> JobLabels:
        tags = {**job_tags(plan.name), **plan.spec.run_tags}
        return cls(plan.spec.description, tags, tags)  # a job's tags are also its runs' tags


def owners_by_key(assets: Sequence[Owner]) -> dict[AssetKey, Owner]:
    found: dict[AssetKey, Owner] = {}
    for asset in assets:
        for key in [asset.key] if isinstance(asset, AssetSpec | SourceAsset) else asset.keys:
            found[key] = asset
    return found


def build_batch_job(plan: BatchJobPlan, inputs: ScopeInputs) -> JobDefinition:
    """The resolved job materializing the plan's keys, with its dbt models in an op of its own."""
    return scoped_job(plan.name, plan.keys, inputs, JobLabels.of(plan))


def scoped_job(
    name: str, keys: Collection[AssetKey], inputs: ScopeInputs, labels: JobLabels
) -> JobDefinition:
    dbt_ids = {id(a) for a in inputs.dbt_assets}
    included: dict[int, Owner] = {}
    scoped: list[AssetsDefinition] = []
    for whole in {id(o): o for k in keys if id(o := inputs.owners[k]) in dbt_ids}.values():
        assert isinstance(whole, AssetsDefinition) and inputs.dbt is not None
        mine = [k for k in keys if k in whole.keys]
        scoped.append(inputs.dbt.scoped(whole, mine, f"{whole.node_def.name}__{name}"))
    for key in keys:
        own = inputs.owners[key]
        if id(own) not in dbt_ids:
            included.setdefault(id(own), own)  # Dagster subsets a partly selected Python multi-asset
    upstream: list[AssetSpec] = []
    for parent in _parents(keys, inputs.graph):
        defined_by = inputs.owners.get(parent)
        if defined_by is None:
            continue  # a dep nothing defines: Dagster stubs it, as in the whole graph
        if id(defined_by) in dbt_ids:
            assert isinstance(defined_by, AssetsDefinition)
            upstream.append(defined_by.specs_by_key[parent])  # an AssetSpec alone: an external asset
        else:
            included.setdefault(id(defined_by), defined_by)  # not selected: Dagster makes it unexecutable
    selected = set(keys)
    checks = [c for c in inputs.checks if any(k.asset_key in selected for k in c.check_keys)]
    if not included and not checks:
        return dbt_only_job(name, scoped, upstream, inputs.resources, labels=labels)
    assets = [*scoped, *included.values(), *upstream]
    return resolved_in_repository(name, keys, assets, checks, inputs.resources, labels=labels)


def resolved_in_repository(
    name: str,
    keys: Collection[AssetKey],
    assets: Sequence[Owner],
    checks: Sequence[AssetsDefinition],
    resources: Mapping[str, object],
    *,
    labels: JobLabels,
) -> JobDefinition:
    """The job selecting `keys`, resolved by Dagster in a repository of `assets` (which subsets partly
    selected Python multi-assets and makes unselected assets unexecutable)."""
    job = define_asset_job(
        name,
        selection=AssetSelection.assets(*sorted(keys, key=str)),
        description=labels.description,
        tags=labels.tags,
        run_tags=labels.run_tags,
    )
    scope = Definitions(assets=assets, asset_checks=checks, jobs=[job], resources=dict(resources))
    return scope.resolve_job_def(name)


def dbt_only_job(
    name: str,
    scoped: Sequence[AssetsDefinition],
    upstream: Sequence[AssetSpec],
    resources: Mapping[str, object],
    *,
    labels: JobLabels,
) -> JobDefinition:
    """The job of `scoped` (every asset in them selected), its parents `upstream` as external assets: the
    job Dagster's resolution in a repository would build, built directly."""
    by_partitions: dict[object, list[AssetSpec]] = defaultdict(list)
    for spec in upstream:  # grouped as Definitions groups loose specs: one external per partitioning
        by_partitions[spec.partitions_def].append(spec)
    externals = [AssetsDefinition(specs=specs) for specs in by_partitions.values()]
    # Not validated here: the code location's repository checks every job's resources
    job: JobDefinition = compat.dbt_only_job(
        name,
        [*scoped, *externals],
        resources,
        description=labels.description,
        tags=labels.tags,
        run_tags=labels.run_tags,
    )
    return job


def _parents(keys: Collection[AssetKey], graph: AssetGraph) -> set[AssetKey]:
    selected = set(keys)
    return {p for k in selected for p in graph.get(k).parent_keys} - selected
