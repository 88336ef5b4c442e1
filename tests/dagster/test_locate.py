"""Finding the compiled artifacts, reading the manifest once, and the `run floe compile` errors (FR-010)."""

from __future__ import annotations

import json
import os
import runpy
from pathlib import Path

import pytest
from dagster import AssetKey, Definitions
from floe_core.artifacts import DbtArtifacts
from floe_core.errors import FloeError
from floe_dagster import FloeDefinitions
from floe_dagster.project import load_manifest
from floe_projects import write_artifacts

SPEC = {
    "name": "loc",
    "version": "1",
    "compute": {"default": "dev", "targets": {"dev": {"type": "duckdb", "properties": {"path": "x.duckdb"}}}},
}
V12 = "https://schemas.getdbt.com/dbt/manifest/v12.json"
MANIFEST = {
    "metadata": {"project_name": "loc", "dbt_schema_version": V12},
    "nodes": {},
    "sources": {},
    "parent_map": {},
}


def _write(root: Path, spec: dict[str, object] = SPEC, dbt: bool = False) -> Path:
    dbt_section = (
        DbtArtifacts(
            project_dir="dbt",
            profiles_dir=".floe/profiles",
            profile_name="loc",
            target="dev",
            manifest_path=".floe/dbt/manifest.json",
        )
        if dbt
        else None
    )
    return write_artifacts(root, spec, dbt_section)


def test_missing_artifacts_say_run_floe_compile(tmp_path: Path) -> None:
    (tmp_path / "floe.yaml").write_text("name: x\n")
    with pytest.raises(
        FloeError, match=r"compiled artifacts not found at .*compiled_artifacts.json: run `floe compile`"
    ):
        FloeDefinitions.from_compiled_artifacts(tmp_path)


def test_no_floe_yaml_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLOE_ARTIFACTS", raising=False)
    monkeypatch.chdir(tmp_path)
    script = tmp_path / "defs.py"
    script.write_text(
        "from floe_dagster import FloeDefinitions\ndefs = FloeDefinitions.from_compiled_artifacts()\n"
    )
    with pytest.raises(FloeError, match=r"no floe.yaml found in .*FLOE_ARTIFACTS.*floe compile"):
        runpy.run_path(str(script))


def test_found_from_the_calling_file_whatever_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FLOE_ARTIFACTS", raising=False)
    _write(tmp_path / "proj")
    script = tmp_path / "proj" / "orchestration" / "definitions.py"
    script.parent.mkdir()
    script.write_text(
        "from floe_dagster import FloeDefinitions\ndefs = FloeDefinitions.from_compiled_artifacts()\n"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert isinstance(runpy.run_path(str(script))["defs"], Definitions)


def test_env_var_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "a", {**SPEC, "name": "from_env"})
    monkeypatch.setenv("FLOE_ARTIFACTS", str(path))
    monkeypatch.chdir(tmp_path)
    assert isinstance(FloeDefinitions.from_compiled_artifacts(), Definitions)
    monkeypatch.setenv("FLOE_ARTIFACTS", str(tmp_path / "nope.json"))
    with pytest.raises(FloeError, match=r"nope\.json: run `floe compile`"):
        FloeDefinitions.from_compiled_artifacts()


def test_dbt_transform_without_dbt_artifacts(tmp_path: Path) -> None:
    path = _write(tmp_path, {**SPEC, "transforms": [{"type": "dbt", "path": "dbt"}]})
    with pytest.raises(
        FloeError, match=r"no dbt section although floe.yaml has a dbt transform: run `floe compile`"
    ):
        FloeDefinitions.from_compiled_artifacts(path)


def test_missing_and_invalid_manifest(tmp_path: Path) -> None:
    path = _write(tmp_path, dbt=True)
    with pytest.raises(FloeError, match=r"dbt manifest not found at .*manifest.json: run `floe compile`"):
        FloeDefinitions.from_compiled_artifacts(path)
    manifest = tmp_path / ".floe" / "dbt" / "manifest.json"
    manifest.parent.mkdir()
    manifest.write_text("{not json")
    with pytest.raises(FloeError, match=r"manifest.json is not valid JSON .*: run `floe compile`"):
        FloeDefinitions.from_compiled_artifacts(path)
    manifest.write_text(json.dumps({"metadata": {"dbt_schema_version": V12}, "nodes": []}))
    with pytest.raises(
        FloeError, match=r"nodes is list, sources is missing, parent_map is missing; expected"
    ):
        FloeDefinitions.from_compiled_artifacts(path)


def test_manifest_read_once_until_it_changes(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(MANIFEST))
    first = load_manifest(manifest)
    assert load_manifest(manifest) is first
    manifest.write_text(json.dumps({**MANIFEST, "metadata": {**MANIFEST["metadata"], "project_name": "new"}}))
    os.utime(manifest, ns=(first.path.stat().st_mtime_ns + 10**9,) * 2)
    again = load_manifest(manifest)
    assert again is not first and again.project_name == "new"


def test_unknown_source_mapping_is_reported(tmp_path: Path) -> None:
    spec = {**SPEC, "orchestration": {"dbt": {"sources": {"raw.custmers": "raw_customers"}}}}
    path = _write(tmp_path, spec, dbt=True)
    manifest = tmp_path / ".floe" / "dbt" / "manifest.json"
    manifest.parent.mkdir()
    source = {"source_name": "raw", "name": "customers", "resource_type": "source"}
    manifest.write_text(json.dumps({**MANIFEST, "sources": {"source.loc.raw.customers": source}}))
    with pytest.raises(FloeError) as info:
        FloeDefinitions.from_compiled_artifacts(path)
    message = str(info.value)
    assert str(tmp_path / "floe.yaml") in message and "orchestration.dbt.sources" in message
    assert "'raw.custmers'" in message and "expected one of: raw.customers" in message


@pytest.mark.slow
def test_new_asset_module_is_all_it_takes(tmp_path: Path) -> None:
    """SC-005: add orchestration/assets/ops.py, list it in floe.yaml, recompile — the asset is there."""
    from floe_projects import DEMO, compile_project, copy_project

    project = copy_project(DEMO, tmp_path / "demo_ops")
    (project / "orchestration" / "assets" / "ops.py").write_text(
        "from dagster import asset\n\n"
        "@asset(group_name='ops', deps=['customer_orders'], kinds={'python'})\n"
        "def customer_report() -> None:\n    ...\n"
    )
    spec = project / "floe.yaml"
    spec.write_text(
        spec.read_text().replace(
            "    - orchestration/assets/bronze.py\n",
            "    - orchestration/assets/bronze.py\n    - orchestration/assets/ops.py\n",
        )
    )
    defs = FloeDefinitions.from_compiled_artifacts(compile_project(project))
    node = defs.resolve_asset_graph().get(AssetKey("customer_report"))
    assert node.group_name == "ops" and node.parent_keys == {AssetKey("customer_orders")}
