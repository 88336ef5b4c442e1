"""Issue 15 ("silent surprises"): a code location loaded after floe.yaml was edited, a dbt model was added
or a variable floe.yaml uses changed since `floe compile` serves the compiled state — and says so, once, at
WARNING level, naming what changed and "run floe compile"."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from floe_dagster.project import load_artifacts
from floe_projects import DEMO, compile_project, copy_project

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_project(DEMO, tmp_path_factory.mktemp("stale") / "demo")
    compile_project(project, env={"FLOE_DUCKDB_PATH": ".floe/demo.duckdb"})
    return project


def _load(project: Path, caplog: pytest.LogCaptureFixture) -> list[str]:
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="floe.project"):
        load_artifacts(project / ".floe" / "compiled_artifacts.json")
    return [r.getMessage() for r in caplog.records if r.name == "floe.project"]


def test_a_fresh_compile_is_quiet_and_each_change_is_named(
    compiled: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLOE_DUCKDB_PATH", ".floe/demo.duckdb")
    monkeypatch.delenv("FLOE_TARGET", raising=False)
    assert _load(compiled, caplog) == []

    monkeypatch.setenv("FLOE_TARGET", "prod")
    (warning,) = _load(compiled, caplog)
    assert "$FLOE_TARGET was unset then" in warning and "run `floe compile`" in warning
    monkeypatch.delenv("FLOE_TARGET")

    model = compiled / "dbt" / "models" / "gold" / "new_model.sql"
    model.write_text("select 1 as x\n")
    (warning,) = _load(compiled, caplog)
    assert "the dbt project's files changed" in warning
    model.unlink()

    spec = compiled / "floe.yaml"
    original = spec.read_text()
    spec.write_text(original + "\n# edited\n")
    (warning,) = _load(compiled, caplog)
    assert "floe.yaml changed" in warning
    spec.write_text(original)
    assert _load(compiled, caplog) == []
