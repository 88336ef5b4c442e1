"""The dbt project as Dagster assets: one asset per model, seed and snapshot, dbt tests as asset checks.

dagster-dbt does the heavy lifting: its spec builder (deps through ephemeral models, checks; see dbt_specs,
which keeps the specs across loads) and its CLI resource (selection, event stream). `dbt_multi_asset` is
`@dbt_assets` fed with those specs. floe adds: the translator (source mapping, owners, classifications),
one multi-asset per distinct partitions definition (Dagster allows one per multi-asset), and the partition
handed to dbt as --vars.
"""

# No `from __future__ import annotations`: Dagster inspects the compute function's `context` annotation
# at definition time and needs the real class, not a string.
import json
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
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
from dagster_dbt.asset_utils import (
    DAGSTER_DBT_SELECT_METADATA_KEY,
    get_manifest_and_translator_from_dbt_assets,
)
from floe_core.artifacts import CompiledArtifacts
from floe_core.errors import FloeError

from floe_dagster import spec_cache
from floe_dagster.dbt_specs import UNIQUE_ID_METADATA_KEY, DbtProjectSpecs, manifest_sources
from floe_dagster.observability import Observability
from floe_dagster.translator import FloeDbtTranslator, asset_key_from_path

DBT_RESOURCE_KEY = "dbt"
PartitionsFor = Callable[[str], PartitionsDefinition | None]


@dataclass
class _Slice:
    """The nodes sharing one partitions definition, i.e. one multi-asset."""

    partitions_def: PartitionsDefinition | None
    specs: list[AssetSpec] = field(default_factory=list)


def build_dbt_assets(
    project: DbtProjectSpecs, observer: Observability, partitions_for: PartitionsFor | None = None
) -> list[AssetsDefinition]:
    """One dbt multi-asset per distinct partitions definition; each node lands in exactly one."""
    slices = _slices(project, partitions_for or (lambda _uid: None))
    base = _op_name(project.project_name or "project")
    if len(slices) == 1:
        only = slices[0]
        return [dbt_multi_asset(project, only.specs, observer, name=f"dbt_{base}", pdef=only.partitions_def)]
    return [
        dbt_multi_asset(
            project,
            piece.specs,
            observer,
            name=f"dbt_{base}" if piece.partitions_def is None else f"dbt_{base}_{index}",
            pdef=piece.partitions_def,
        )
        for index, piece in enumerate(slices)
    ]


def _slices(project: DbtProjectSpecs, partitions_for: PartitionsFor) -> list[_Slice]:
    slices: list[_Slice] = []
    for spec in project.specs:
        pdef = partitions_for(project.unique_id(spec))
        target = next((s for s in slices if _same(s.partitions_def, pdef)), None)
        if target is None:
            target = _Slice(pdef)
            slices.append(target)
        target.specs.append(spec)
    return slices or [_Slice(None)]


def _same(a: PartitionsDefinition | None, b: PartitionsDefinition | None) -> bool:
    if a is None or b is None:
        return a is b
    try:
        return a is b or bool(a == b)
    except Exception:  # some partitions definitions do not compare; identity is then the grouping
        return False


def _op_name(raw: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", raw)


def dbt_multi_asset(
    project: DbtProjectSpecs,
    specs: Sequence[AssetSpec],
    observer: Observability,
    *,
    name: str,
    pdef: PartitionsDefinition | None,
    checks: Sequence[AssetCheckSpec] | None = None,
    backfill_policy: BackfillPolicy | None = None,
) -> AssetsDefinition:
    """What dagster-dbt's `@dbt_assets` builds, from specs floe already has (see dbt_specs):
    the same multi-asset arguments, op tags and backfill policy (tests/dagster/test_dbt_parity.py).
    `checks` defaults to the project's checks on `specs`; `backfill_policy` to the decorator's choice."""
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
    )
    def _dbt_build(context: AssetExecutionContext) -> Iterator[Any]:
        dbt: DbtCliResource = getattr(context.resources, DBT_RESOURCE_KEY)
        args = ["build", *partition_vars_args(context), *unselected_checks_excluded(context)]
        invocation = dbt.cli(args, context=context)
        yield from observer.observe_dbt(context, invocation)

    return _dbt_build


def scoped_dbt_assets(
    project: DbtProjectSpecs,
    observer: Observability,
    whole: AssetsDefinition,
    keys: Collection[AssetKey],
    name: str,
) -> AssetsDefinition:
    """`whole` (one of build_dbt_assets' multi-assets, floe.yaml's rules applied) cut down to `keys`, with
    an op of its own named `name` (see job_scope): same specs, checks, partitions and backfill policy."""
    wanted = set(keys)
    specs = [s for s in whole.specs if s.key in wanted]  # whole's order: by dbt unique id
    return dbt_multi_asset(
        project,
        specs,
        observer,
        name=name,
        pdef=whole.partitions_def,
        checks=[c for c in whole.check_specs if c.asset_key in wanted],
        backfill_policy=whole.backfill_policy,
    )


def _fqn_selector(project: DbtProjectSpecs, spec: AssetSpec) -> str:
    return "fqn:" + ".".join(project.nodes[project.unique_id(spec)].fqn)


def unselected_checks_excluded(context: AssetExecutionContext) -> list[str]:
    """`--exclude` for the dbt tests that are checks of assets this step does not materialize.

    dbt's default (eager) indirect selection runs a test as soon as one of its parents is selected, so a
    relationships test defined on a model outside the run (for Dagster, a check of *that* model) ran
    against a table the run does not build, and failed on a fresh warehouse: the demo's silver-only job
    ran gold's relationships tests. Tests of selected models, and singular tests, run as before."""
    selected = {
        str(spec.metadata.get(UNIQUE_ID_METADATA_KEY))
        for spec in context.assets_def.specs
        if spec.key in context.selected_asset_keys
    }
    manifest, _, _ = get_manifest_and_translator_from_dbt_assets([context.assets_def])
    excluded = sorted(
        "fqn:" + ".".join(node["fqn"])
        for node in manifest["nodes"].values()
        if node.get("resource_type") == "test"
        and node.get("attached_node")
        and node["attached_node"] not in selected
        and selected.intersection((node.get("depends_on") or {}).get("nodes") or ())
    )
    return ["--exclude", " ".join(excluded)] if excluded else []


def partition_vars(context: AssetExecutionContext) -> dict[str, str]:
    """`floe_partition_key` (and `_start`/`_end` for time windows) for incremental models to filter on."""
    if not context.has_partition_key_range and not context.has_partition_key:
        return {}
    values: dict[str, str] = {}
    if context.has_partition_key:
        values["floe_partition_key"] = context.partition_key
    else:  # a single run over a range (backfill policy single_run): the key of its first partition
        values["floe_partition_key"] = context.partition_key_range.start
    if _is_time_partitioned(context.assets_def.partitions_def):
        window = context.partition_time_window
        values["floe_partition_start"] = window.start.isoformat()
        values["floe_partition_end"] = window.end.isoformat()
    return values


def partition_vars_args(context: AssetExecutionContext) -> list[str]:
    values = partition_vars(context)
    return ["--vars", json.dumps(values)] if values else []


def _is_time_partitioned(pdef: PartitionsDefinition | None) -> bool:
    if isinstance(pdef, TimeWindowPartitionsDefinition):
        return True
    # Multi partitions with a time dimension also have a time window.
    dims: Sequence[Any] | None = getattr(pdef, "partitions_defs", None)
    return any(
        isinstance(getattr(d, "partitions_def", None), TimeWindowPartitionsDefinition) for d in dims or []
    )


def dbt_project_specs(artifacts: CompiledArtifacts) -> DbtProjectSpecs | None:
    """The compiled dbt project's specs (None when floe.yaml has no dbt transform); see spec_cache."""
    if artifacts.dbt is None:
        if artifacts.spec.dbt_transform is not None:
            raise FloeError(
                f"compiled artifacts for {artifacts.resolve(artifacts.spec_path)} have no dbt section although"
                " floe.yaml has a dbt transform: run `floe compile`"
            )
        return None
    translator = floe_translator(artifacts)
    manifest_path = artifacts.resolve(artifacts.dbt.manifest_path)
    project = spec_cache.cached(manifest_path, translator)
    if project is not None:
        _check_mapped_sources(artifacts, project.sources)
        return project
    _check_mapped_sources(
        artifacts, manifest_sources(manifest_path)
    )  # a typo: reported before the slow build
    return spec_cache.build_and_cache(manifest_path, translator)


def floe_translator(artifacts: CompiledArtifacts) -> FloeDbtTranslator:
    """The translator floe.yaml configures: source mapping and governance classifications."""
    return FloeDbtTranslator(
        source_keys={k: asset_key_from_path(v) for k, v in artifacts.spec.orchestration.dbt.sources.items()},
        classifications=artifacts.spec.governance.classifications,
    )


def _check_mapped_sources(artifacts: CompiledArtifacts, known: frozenset[str]) -> None:
    """`orchestration.dbt.sources` names must be sources of the dbt project."""
    for name, key in artifacts.spec.orchestration.dbt.sources.items():
        if name not in known:
            raise FloeError(
                f"{artifacts.resolve(artifacts.spec_path)}: orchestration.dbt.sources: {name!r} (mapped to"
                f" {key!r}) is not a source of the dbt project; expected one of: {', '.join(sorted(known)) or 'none'}"
            )


def dbt_origins(
    assets_defs: Sequence[AssetsDefinition], project: DbtProjectSpecs | None
) -> dict[AssetKey, str]:
    """Asset key -> 'dbt model model.x.y (models/y.sql)', for duplicate-key errors."""
    origins: dict[AssetKey, str] = {}
    for assets_def in assets_defs:
        for spec in assets_def.specs:
            uid = str(spec.metadata.get(UNIQUE_ID_METADATA_KEY, spec.key.to_user_string()))
            node = project.nodes.get(uid) if project else None
            kind = node.resource_type if node else "node"
            origins[spec.key] = f"dbt {kind} {uid} ({node.original_file_path if node else '?'})"
    return origins
