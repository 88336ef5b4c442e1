"""Every private Dagster / dagster-dbt name floe uses (floe_dagster.compat) still exists and still behaves
as floe relies on. When an upgrade breaks one of these, this file says which, by name."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from dagster import (
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    AssetSpec,
    Definitions,
    StaticPartitionsDefinition,
    asset,
    multi_asset,
)
from floe_dagster import compat

SRC = Path(compat.__file__).parent
PRIVATE_MODULES = {
    "dagster._core.definitions.assets.definition.asset_spec": ["AssetExecutionType"],
    "dagster._core.definitions.assets.graph.asset_graph": ["AssetGraph"],
    "dagster._core.definitions.assets.job.asset_job": ["build_asset_job"],
    "dagster._core.definitions.decorators.op_decorator": ["DecoratedOpFunction"],
    "dagster._core.definitions.job_definition": ["default_job_io_manager_with_fs_io_manager_schema"],
    "dagster_dbt.asset_utils": [
        "DAGSTER_DBT_SELECT_METADATA_KEY",
        "get_manifest_and_translator_from_dbt_assets",
    ],
    "dagster_dbt.core.dbt_event_iterator": ["DbtEventIterator"],
    "dagster_dbt.dagster_dbt_translator": ["DbtManifestWrapper"],
    "dagster_shared.record": ["as_dict"],
}


@pytest.mark.parametrize(("module", "names"), sorted(PRIVATE_MODULES.items()))
def test_each_private_name_still_exists(module: str, names: list[str]) -> None:
    loaded = importlib.import_module(module)
    missing = [n for n in names if not hasattr(loaded, n)]
    assert not missing, f"{module} no longer has {missing}: update floe_dagster/compat.py"


def test_private_methods_floe_overrides_still_exist() -> None:
    from dagster_dbt import DbtCliResource

    for name in ("_initialize_dbt_core_adapter", "_cli_version"):
        assert hasattr(DbtCliResource, name), f"DbtCliResource.{name} is gone: update FloeDbtCliResource"
    from dagster import AssetsDefinition, OpDefinition

    for owner in (OpDefinition, AssetsDefinition):
        assert hasattr(owner, "dagster_internal_init"), f"{owner.__name__}.dagster_internal_init is gone"


def test_the_dbt_metadata_keys_are_the_ones_dagster_dbt_writes(tmp_path: Path) -> None:
    from dagster_dbt import dbt_assets

    manifest = {
        "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"},
        "nodes": {
            "model.p.m": {
                "unique_id": "model.p.m",
                "resource_type": "model",
                "name": "m",
                "package_name": "p",
                "fqn": ["p", "m"],
                "original_file_path": "models/m.sql",
                "path": "m.sql",
                "config": {"enabled": True, "materialized": "table"},
                "depends_on": {"nodes": []},
                "tags": [],
                "meta": {},
                "columns": {},
                "description": "",
            }
        },
        "sources": {},
        "parent_map": {"model.p.m": []},
        "child_map": {"model.p.m": []},
        "exposures": {},
        "metrics": {},
        "semantic_models": {},
        "saved_queries": {},
        "selectors": {},
        "disabled": {},
        "macros": {},
        "docs": {},
        "groups": {},
        "unit_tests": {},
    }

    @dbt_assets(manifest=manifest)
    def built(context):  # type: ignore[no-untyped-def]
        yield from ()

    metadata = built.specs_by_key[AssetKey("m")].metadata
    for key in (
        compat.DBT_UNIQUE_ID_METADATA_KEY,
        compat.DBT_MANIFEST_METADATA_KEY,
        compat.DBT_TRANSLATOR_METADATA_KEY,
    ):
        assert key in metadata, f"dagster-dbt no longer writes {key!r}"
    assert metadata[compat.DBT_UNIQUE_ID_METADATA_KEY] == "model.p.m"
    assert compat.DAGSTER_DBT_SELECT_METADATA_KEY in built.op.tags


def test_the_planning_graph_resolves_selections_as_the_built_assets_would() -> None:
    """Specs marked materializable select like the multi-asset built from them (groups, tags and upstream
    traversal skip external assets): the whole point of `planning_graph`."""
    regions = StaticPartitionsDefinition(["eu", "us"])
    specs = [
        AssetSpec("a", group_name="g1", tags={"layer": "silver"}),
        AssetSpec("b", group_name="g1", deps=["a"]),
        AssetSpec("c", group_name="g2", deps=["b", "ext"]),
    ]
    external = AssetSpec("ext", group_name="g2")

    @asset(group_name="g2", partitions_def=regions)
    def py() -> None: ...

    @multi_asset(specs=specs, can_subset=True)
    def built():  # type: ignore[no-untyped-def]
        yield from ()

    plan = compat.planning_graph([py, AssetsDefinition(specs=[external])], [specs])
    real = Definitions(assets=[built, py, external]).resolve_asset_graph()
    for text in [
        "group:g1",
        "group:g2",
        "tag:layer=silver",
        "+key:c",
        "key:a+",
        "key:ext+",
        "kind:python",
        "*",
    ]:
        mine = AssetSelection.from_string(text).resolve(plan, allow_missing=True)
        theirs = AssetSelection.from_string(text).resolve(real, allow_missing=True)
        assert mine == theirs, text
    assert plan.get(AssetKey("a")).is_materializable
    assert plan.get(AssetKey("py")).partitions_def == regions
