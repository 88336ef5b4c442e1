"""floe's dbt multi-asset is dagster-dbt's `@dbt_assets`, fed with specs floe keeps across loads.

If a dagster-dbt upgrade changes what the decorator builds (spec fields, op tags, backfill policy, ...),
these comparisons fail and floe's `DbtAssetsBuilder.multi_asset` must follow."""

# No `from __future__ import annotations`: Dagster inspects the compute function's annotations.
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from dagster import AssetExecutionContext, AssetsDefinition, DailyPartitionsDefinition
from dagster_dbt import DbtCliResource, dbt_assets
from floe_dagster.compat import DBT_MANIFEST_METADATA_KEY as MANIFEST_METADATA_KEY
from floe_dagster.compat import as_dict
from floe_dagster.dbt import spec_cache
from floe_dagster.dbt.assets import DbtAssetsBuilder
from floe_dagster.dbt.load import floe_translator, project_specs
from floe_dagster.dbt.specs import DbtProjectSpecs, ManifestOnFirstUse
from floe_dagster.observability import Observability
from floe_dagster.project import load_artifacts, load_manifest

pytestmark = pytest.mark.slow


def _decorated(manifest: Any, translator: Any, select: str, name: str, pdef: Any = None) -> AssetsDefinition:
    @dbt_assets(
        manifest=manifest,
        select=select,
        name=name,
        partitions_def=pdef,
        dagster_dbt_translator=translator,
        required_resource_keys={"dbt"},
    )
    def _plain(context: AssetExecutionContext) -> Iterator[Any]:
        dbt: DbtCliResource = context.resources.dbt
        yield from dbt.cli(["build"], context=context).stream()

    return _plain


def _fields(spec: Any) -> dict[str, Any]:
    """A spec's fields, with the manifest holder compared by the manifest it holds."""
    out = dict(as_dict(spec))
    out["metadata"] = {
        k: (dict(v.manifest) if k == MANIFEST_METADATA_KEY else v) for k, v in spec.metadata.items()
    }
    # dagster-dbt collects a model's deps through a set: their order follows the process's hash seed, and
    # the cached specs were built by another process (floe compile). The order means nothing to Dagster.
    if out.get("deps") is not None:
        out["deps"] = sorted(out["deps"], key=lambda dep: dep.asset_key.to_user_string())
    return out


def _assert_same(floe: AssetsDefinition, plain: AssetsDefinition) -> None:
    assert floe.keys == plain.keys
    for key in plain.keys:
        assert _fields(floe.specs_by_key[key]) == _fields(plain.specs_by_key[key]), key
    by_key = {c.key: c for c in floe.check_specs}
    assert by_key.keys() == {c.key for c in plain.check_specs}
    for check in plain.check_specs:
        assert _fields(by_key[check.key]) == _fields(check), check.key
    assert floe.op.tags == plain.op.tags
    assert floe.op.name == plain.op.name
    assert floe.can_subset and plain.can_subset
    assert floe.partitions_def == plain.partitions_def
    assert floe.backfill_policy == plain.backfill_policy
    assert floe.required_resource_keys == plain.required_resource_keys
    assert floe.node_keys_by_output_name == plain.node_keys_by_output_name
    assert set(floe.op.ins) == set(plain.op.ins)


def _from_file(artifacts_path: Path) -> tuple[Any, DbtProjectSpecs, Any]:
    """(artifacts, specs read back from the cache file, manifest) — the path every later load takes."""
    artifacts = load_artifacts(artifacts_path)
    project_specs(artifacts)  # builds and writes the cache file
    manifest_path = artifacts.resolve(artifacts.dbt.manifest_path)  # type: ignore[union-attr]
    project = spec_cache.read(manifest_path, floe_translator(artifacts))
    assert project is not None, "the cache file was not written or not accepted"
    assert all(isinstance(s.metadata[MANIFEST_METADATA_KEY], ManifestOnFirstUse) for s in project.specs)
    return artifacts, project, load_manifest(manifest_path).raw


@pytest.mark.parametrize("name", ["demo", "shop", "warehouse"])
def test_whole_project_equals_dbt_assets(shared: Callable[[str], Path], name: str) -> None:
    artifacts, project, manifest = _from_file(shared(name))
    observer = Observability.from_artifacts(artifacts)
    floe = DbtAssetsBuilder(project, observer).multi_asset(project.specs, name="dbt_x", pdef=None)
    plain = _decorated(
        manifest, project.specs[0].metadata["dagster_dbt/dagster_dbt_translator"], "fqn:*", "dbt_x"
    )
    assert len(plain.keys) > 5
    _assert_same(floe, plain)


def test_partitioned_slice_equals_dbt_assets_with_the_same_selection(shared: Callable[[str], Path]) -> None:
    artifacts, project, manifest = _from_file(shared("shop"))
    observer = Observability.from_artifacts(artifacts)
    chosen = [s for s in project.specs if s.key.to_user_string() in {"partition_probe", "stg_customers"}]
    assert len(chosen) == 2
    daily = DailyPartitionsDefinition(start_date="2024-01-01")
    floe = DbtAssetsBuilder(project, observer).multi_asset(chosen, name="dbt_daily", pdef=daily)
    select = " ".join("fqn:" + ".".join(project.nodes[project.unique_id(s)].fqn) for s in chosen)
    translator = project.specs[0].metadata["dagster_dbt/dagster_dbt_translator"]
    plain = _decorated(manifest, translator, select, "dbt_daily", daily)
    assert plain.backfill_policy is not None  # time-window partitions: one run per backfill
    _assert_same(floe, plain)
