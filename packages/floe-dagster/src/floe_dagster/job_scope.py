"""A floe.yaml batch job as a job of its own: its dbt models run through an op that holds only them.

Why: Dagster resolves an asset job against the whole asset graph. A dbt project is one multi-asset, so a
job selecting any of its models subsets that multi-asset, copies every model it does not select as an
unexecutable asset and normalizes all of them again, and the job's snapshot carries the op's every output:
about 1.3 s per job at 5000 models, on every load of the code location (bench: 50 jobs made a load 6.5x
slower, identically with plain dagster-dbt). Here each job gets a dbt op cut down to its own models
(`dbt_assets.scoped_dbt_assets`) and is resolved against a graph of just its assets and their direct
parents (as external assets, which is all its steps read), so a job costs in proportion to its size.

The same: asset keys, specs (with floe.yaml's rules applied), checks, partitions, backfill policy, the
dbt invocation (`dbt build --select <the job's models>`), lineage and spans. Different: the dbt op's name
inside the job is `<dbt op>__<job>`, because Dagster wants op names unique in a code location.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
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
from dagster._core.definitions.assets.graph.asset_graph import AssetGraph
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from floe_dagster.jobs import BuiltJob

Owner = AssetsDefinition | AssetSpec | SourceAsset
# (the whole dbt multi-asset, the job's keys in it, the op name) -> the job's own dbt multi-asset
ScopeDbt = Callable[[AssetsDefinition, Collection[AssetKey], str], AssetsDefinition]


@dataclass(frozen=True)
class ScopeInputs:
    """The code location's final assets (rules applied, Python assets wrapped for observability)."""

    graph: AssetGraph
    owners: Mapping[AssetKey, Owner]  # every asset key -> what defines it
    dbt_assets: Collection[AssetsDefinition]  # the dbt multi-assets among the owners
    checks: Sequence[AssetsDefinition]  # standalone asset checks (Python modules)
    resources: Mapping[str, object]
    scope_dbt: ScopeDbt


def scope_batch_jobs(jobs: Mapping[str, BuiltJob], inputs: ScopeInputs) -> None:
    """Replace each batch job's definition (Dagster's `define_asset_job`) with its scoped, resolved job."""
    for built in jobs.values():
        if not isinstance(built.definition, UnresolvedAssetJobDefinition):
            continue  # ops jobs are plain jobs already
        unresolved = built.definition
        built.definition = scoped_job(
            built.name, built.keys, inputs, description=unresolved.description, tags=unresolved.tags or {}
        )


def owners_by_key(assets: Sequence[Owner]) -> dict[AssetKey, Owner]:
    found: dict[AssetKey, Owner] = {}
    for asset in assets:
        for key in [asset.key] if isinstance(asset, AssetSpec | SourceAsset) else asset.keys:
            found[key] = asset
    return found


def scoped_job(
    name: str,
    keys: Collection[AssetKey],
    inputs: ScopeInputs,
    *,
    description: str | None,
    tags: Mapping[str, str],
) -> JobDefinition:
    """The resolved job materializing `keys`, with its dbt models in an op of its own."""
    dbt_ids = {id(a) for a in inputs.dbt_assets}
    included: dict[int, Owner] = {}
    scoped: list[AssetsDefinition] = []
    for whole in {id(o): o for k in keys if id(o := inputs.owners[k]) in dbt_ids}.values():
        assert isinstance(whole, AssetsDefinition)
        mine = [k for k in keys if k in whole.keys]
        scoped.append(inputs.scope_dbt(whole, mine, f"{whole.node_def.name}__{name}"))
    for key in keys:
        own = inputs.owners[key]
        if id(own) not in dbt_ids:
            included.setdefault(id(own), own)  # Dagster subsets a partly selected Python multi-asset
    upstream: list[Owner] = []
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
    job = define_asset_job(
        name, selection=AssetSelection.assets(*sorted(keys, key=str)), description=description, tags=tags
    )
    scope = Definitions(
        assets=[*scoped, *included.values(), *upstream],
        asset_checks=checks,
        jobs=[job],
        resources=dict(inputs.resources),
    )
    return scope.resolve_job_def(name)


def _parents(keys: Collection[AssetKey], graph: AssetGraph) -> set[AssetKey]:
    selected = set(keys)
    return {p for k in selected for p in graph.get(k).parent_keys} - selected
