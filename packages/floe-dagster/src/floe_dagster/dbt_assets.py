"""The dbt project as Dagster assets: one asset per model, seed and snapshot, dbt tests as asset checks.

dagster-dbt's `@dbt_assets` does the heavy lifting (deps through ephemeral models, checks, event stream).
floe adds: the translator (source mapping, owners, classifications), one multi-asset per distinct
partitions definition (Dagster allows one per multi-asset), and the partition handed to dbt as --vars.
"""

# No `from __future__ import annotations`: Dagster inspects the compute function's `context` annotation
# at definition time and needs the real class, not a string.
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    PartitionsDefinition,
    TimeWindowPartitionsDefinition,
)
from dagster_dbt import DbtCliResource, dbt_assets
from floe_core.artifacts import CompiledArtifacts
from floe_core.errors import FloeError

from floe_dagster.locate import DbtManifest, load_manifest
from floe_dagster.observability import Observability
from floe_dagster.translator import FloeDbtTranslator, asset_key_from_path

DBT_RESOURCE_KEY = "dbt"
UNIQUE_ID_METADATA_KEY = "dagster_dbt/unique_id"
MANIFEST_METADATA_KEY = "dagster_dbt/manifest"
TRANSLATOR_METADATA_KEY = "dagster_dbt/dagster_dbt_translator"
ASSET_RESOURCE_TYPES = frozenset({"model", "seed", "snapshot"})
PartitionsFor = Callable[[str], PartitionsDefinition | None]


def dbt_asset_unique_ids(manifest: DbtManifest) -> list[str]:
    """Unique ids of the nodes that become assets: models (not ephemeral), seeds, snapshots."""
    return sorted(
        uid
        for uid, node in manifest.data["nodes"].items()
        if node.get("resource_type") in ASSET_RESOURCE_TYPES
        and (node.get("config") or {}).get("materialized") != "ephemeral"
    )


@dataclass
class _Slice:
    """The nodes sharing one partitions definition, i.e. one multi-asset."""

    partitions_def: PartitionsDefinition | None
    unique_ids: list[str] = field(default_factory=list)


def build_dbt_assets(
    manifest: DbtManifest,
    translator: FloeDbtTranslator,
    observer: Observability,
    partitions_for: PartitionsFor | None = None,
) -> list[AssetsDefinition]:
    """One `@dbt_assets` multi-asset per distinct partitions definition; each node lands in exactly one."""
    slices = _slices(manifest, partitions_for or (lambda _uid: None))
    base = _op_name(manifest.project_name or "project")
    if len(slices) == 1:
        only = slices[0]
        return [
            _multi_asset(
                manifest, translator, observer, name=f"dbt_{base}", select="fqn:*", pdef=only.partitions_def
            )
        ]
    built = []
    for index, piece in enumerate(slices):
        select = " ".join(_fqn_selector(manifest, uid) for uid in piece.unique_ids)
        name = f"dbt_{base}" if piece.partitions_def is None else f"dbt_{base}_{index}"
        built.append(
            _multi_asset(manifest, translator, observer, name=name, select=select, pdef=piece.partitions_def)
        )
    return built


def _slices(manifest: DbtManifest, partitions_for: PartitionsFor) -> list[_Slice]:
    slices: list[_Slice] = []
    for uid in dbt_asset_unique_ids(manifest):
        pdef = partitions_for(uid)
        target = next((s for s in slices if _same(s.partitions_def, pdef)), None)
        if target is None:
            target = _Slice(pdef)
            slices.append(target)
        target.unique_ids.append(uid)
    return slices or [_Slice(None)]


def _same(a: PartitionsDefinition | None, b: PartitionsDefinition | None) -> bool:
    if a is None or b is None:
        return a is b
    try:
        return a is b or bool(a == b)
    except Exception:  # some partitions definitions do not compare; identity is then the grouping
        return False


def _fqn_selector(manifest: DbtManifest, unique_id: str) -> str:
    return "fqn:" + ".".join(manifest.data["nodes"][unique_id]["fqn"])


def _op_name(raw: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", raw)


def _multi_asset(
    manifest: DbtManifest,
    translator: FloeDbtTranslator,
    observer: Observability,
    *,
    name: str,
    select: str,
    pdef: PartitionsDefinition | None,
) -> AssetsDefinition:
    @dbt_assets(
        manifest=manifest.data,
        select=select,
        name=name,
        partitions_def=pdef,
        dagster_dbt_translator=translator,
        required_resource_keys={DBT_RESOURCE_KEY},
    )
    def _dbt_build(context: AssetExecutionContext) -> Iterator[Any]:
        dbt: DbtCliResource = getattr(context.resources, DBT_RESOURCE_KEY)
        invocation = dbt.cli(["build", *partition_vars_args(context)], context=context)
        yield from observer.observe_dbt(context, invocation)

    return _dbt_build


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


def dbt_project_assets(
    artifacts: CompiledArtifacts, observer: Observability, partitions_for: PartitionsFor | None = None
) -> list[AssetsDefinition]:
    """The compiled dbt project's assets ([] when floe.yaml has no dbt transform)."""
    if artifacts.dbt is None:
        if artifacts.spec.dbt_transform is not None:
            raise FloeError(
                f"compiled artifacts for {artifacts.resolve(artifacts.spec_path)} have no dbt section although"
                " floe.yaml has a dbt transform: run `floe compile`"
            )
        return []
    manifest = load_manifest(artifacts.resolve(artifacts.dbt.manifest_path))
    translator = FloeDbtTranslator(
        source_keys=mapped_sources(artifacts, manifest),
        classifications=artifacts.spec.governance.classifications,
    )
    return build_dbt_assets(manifest, translator, observer, partitions_for)


def mapped_sources(artifacts: CompiledArtifacts, manifest: DbtManifest) -> dict[str, AssetKey]:
    """`orchestration.dbt.sources`, checked against the manifest's sources."""
    known = {f"{s['source_name']}.{s['name']}" for s in manifest.data["sources"].values()}
    mapping = artifacts.spec.orchestration.dbt.sources
    for name, key in mapping.items():
        if name not in known:
            raise FloeError(
                f"{artifacts.resolve(artifacts.spec_path)}: orchestration.dbt.sources: {name!r} (mapped to"
                f" {key!r}) is not a source of the dbt project; expected one of: {', '.join(sorted(known)) or 'none'}"
            )
    return {name: asset_key_from_path(key) for name, key in mapping.items()}


def dbt_origins(assets_defs: Sequence[AssetsDefinition]) -> dict[AssetKey, str]:
    """Asset key -> 'dbt model model.x.y (models/y.sql)', for duplicate-key errors."""
    origins: dict[AssetKey, str] = {}
    for assets_def in assets_defs:
        for spec in assets_def.specs:
            uid = str(spec.metadata.get(UNIQUE_ID_METADATA_KEY, spec.key.to_user_string()))
            node = assets_def_node(spec)
            kind = node.get("resource_type", "node")
            origins[spec.key] = f"dbt {kind} {uid} ({node.get('original_file_path', '?')})"
    return origins


def assets_def_node(spec: AssetSpec) -> Mapping[str, Any]:
    wrapper = spec.metadata.get(MANIFEST_METADATA_KEY)
    uid = spec.metadata.get(UNIQUE_ID_METADATA_KEY)
    manifest = getattr(wrapper, "manifest", None)
    if not isinstance(manifest, Mapping) or not isinstance(uid, str):
        return {}
    node: Mapping[str, Any] = manifest.get("nodes", {}).get(uid, {})
    return node
