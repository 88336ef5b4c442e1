"""The factory's dbt resource knows dbt-core's version without `dbt --version` (which imports every adapter
and asks PyPI for updates in every step process); any other dbt executable is still asked."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

import pytest
from dagster_dbt.core import resource as dagster_dbt_resource
from floe_dagster.compat import FloeDbtCliResource
from packaging import version

PROJECT = Path(__file__).resolve().parents[1] / "projects" / "shop" / "dbt"


def test_dbt_beside_python_is_versioned_without_a_subprocess(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    monkeypatch.setattr(dagster_dbt_resource, "check_output", lambda *a, **k: calls.append(a) or b"")
    dbt = FloeDbtCliResource(
        project_dir=str(PROJECT), dbt_executable=str(Path(sys.executable).with_name("dbt"))
    )
    assert dbt._cli_version == version.parse(importlib.metadata.version("dbt-core"))
    assert calls == []


def test_another_dbt_executable_is_asked_for_its_version(tmp_path: Path) -> None:
    other = tmp_path / "dbt"
    other.write_text("#!/bin/sh\necho 'Core:'\necho '  - installed: 9.8.7'\n", encoding="utf-8")
    other.chmod(0o755)
    dbt = FloeDbtCliResource(project_dir=str(PROJECT), dbt_executable=str(other))
    assert dbt._cli_version == version.parse("9.8.7")


def test_no_dbt_adapter_is_opened_in_the_step_and_dbt_still_runs(tmp_path: Path) -> None:
    """dagster-dbt would parse the project's macros in the step process to open an adapter nobody uses."""
    import shutil

    import yaml

    project = tmp_path / "dbt"
    shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns("target", "logs"))
    (tmp_path / "profiles.yml").write_text(
        yaml.safe_dump(
            {
                "shop": {
                    "target": "dev",
                    "outputs": {"dev": {"type": "duckdb", "path": str(tmp_path / "w.duckdb")}},
                }
            }
        )
    )
    dbt = FloeDbtCliResource(
        project_dir=str(project),
        profiles_dir=str(tmp_path),
        dbt_executable=str(Path(sys.executable).with_name("dbt")),
    )
    invocation = dbt.cli(["seed"], target_path=tmp_path / "target")
    assert invocation.adapter is None
    assert invocation.wait().is_successful()
    import duckdb

    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as conn:
        assert conn.execute("select count(*) from main.raw_customers").fetchone()[0] > 0  # type: ignore[index]
