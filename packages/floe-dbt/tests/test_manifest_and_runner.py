"""Manifest loading errors say what to do; the runner keeps dbt's own error text."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from floe_core.errors import FloeError
from floe_dbt.manifest import load_manifest
from floe_dbt.runner import DbtInvocation, check, run_dbt

V12 = "https://schemas.getdbt.com/dbt/manifest/v12.json"


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data))
    return path


def test_missing_manifest_says_run_floe_compile(tmp_path: Path) -> None:
    with pytest.raises(FloeError, match=r"dbt manifest not found at .*manifest.json: run `floe compile`"):
        load_manifest(tmp_path / "manifest.json")


def test_invalid_json_is_said_plainly(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(FloeError, match=r"is not valid JSON .*run `floe compile` again"):
        load_manifest(tmp_path / "manifest.json")


def test_json_that_is_not_a_manifest(tmp_path: Path) -> None:
    with pytest.raises(FloeError, match=r"is not a dbt manifest"):
        load_manifest(_write(tmp_path / "manifest.json", [1, 2]))


def test_old_schema_version_is_named(tmp_path: Path) -> None:
    old = {"metadata": {"dbt_schema_version": V12.replace("v12", "v9"), "dbt_version": "1.5.0"}, "nodes": {}}
    with pytest.raises(FloeError) as info:
        load_manifest(_write(tmp_path / "manifest.json", old))
    text = str(info.value)
    assert "manifest/v9.json (written by dbt 1.5.0)" in text
    assert "floe reads manifest schema v12" in text


def test_valid_manifest(tmp_path: Path) -> None:
    raw = {
        "metadata": {"dbt_schema_version": V12, "dbt_version": "1.11.0", "project_name": "shop"},
        "nodes": {
            "model.shop.b": {"name": "b", "resource_type": "model"},
            "model.shop.a": {"name": "a", "resource_type": "model"},
            "test.shop.t": {"name": "t", "resource_type": "test"},
        },
        "sources": {},
        "parent_map": {},
    }
    manifest = load_manifest(_write(tmp_path / "manifest.json", raw))
    assert (manifest.schema_version, manifest.dbt_version, manifest.project_name) == (12, "1.11.0", "shop")
    assert manifest.model_names() == ["a", "b"]


def test_a_manifest_section_of_the_wrong_shape_is_named(tmp_path: Path) -> None:
    raw = {"metadata": {"dbt_schema_version": V12}, "nodes": [], "sources": {}}
    with pytest.raises(FloeError) as info:
        load_manifest(_write(tmp_path / "manifest.json", raw))
    assert "(nodes is list, parent_map is missing; expected mappings): run `floe compile` again" in str(
        info.value
    )


def test_the_manifest_is_read_once_per_file_version(tmp_path: Path) -> None:
    raw = {
        "metadata": {"dbt_schema_version": V12, "project_name": "a"},
        "nodes": {},
        "sources": {},
        "parent_map": {},
    }
    path = _write(tmp_path / "manifest.json", raw)
    first = load_manifest(path)
    assert load_manifest(path) is first
    _write(path, {**raw, "metadata": {"dbt_schema_version": V12, "project_name": "bb"}})  # size changes
    assert load_manifest(path).project_name == "bb"


@pytest.mark.slow
def test_runner_captures_dbt_error_text(tmp_path: Path) -> None:
    (tmp_path / "dbt_project.yml").write_text("name: [this is not a name\n")
    result = run_dbt(["parse"], DbtInvocation(project_dir=tmp_path, profiles_dir=tmp_path))
    assert not result.ok
    assert result.command[-4:] == ("--project-dir", str(tmp_path), "--profiles-dir", str(tmp_path))
    with pytest.raises(FloeError) as info:
        check(result, "dbt parse")
    assert str(info.value).startswith(f"dbt parse failed (exit code {result.returncode}):")
    assert "Syntax error near line 2" in str(info.value)  # dbt's words about the broken dbt_project.yml
    assert "\x1b[" not in str(info.value)


def test_error_text_falls_back_to_output_tail() -> None:
    from floe_dbt.runner import DbtResult

    result = DbtResult(("dbt",), 2, "plain line\n", "Traceback: boom\n")
    assert result.error_text() == "plain line\nTraceback: boom"
    assert check(DbtResult(("dbt",), 0, "", ""), "x").ok


def test_runner_timeout_is_a_floe_error(tmp_path: Path) -> None:
    with pytest.raises(FloeError, match=r"did not finish within 0.01 seconds"):
        run_dbt(["--version"], DbtInvocation(project_dir=tmp_path), timeout=0.01)


ORPHAN_PARENT = """
import sys
from pathlib import Path
from floe_dbt import runner

# stands in for a long `dbt parse`: records its pid, then sleeps
runner._DBT_MAIN = (
    "import os, sys, time; from pathlib import Path;"
    f" Path({sys.argv[1]!r}).write_text(str(os.getpid())); time.sleep(600)"
)
runner.run_dbt(["parse"], runner.DbtInvocation(project_dir=Path({sys.argv[2]!r})))
"""


def test_dbt_ends_when_the_process_that_started_it_is_killed(tmp_path: Path) -> None:
    """Issue 16.8: `floe compile` killed with SIGKILL left `dbt parse` running as an orphan."""
    pid_file = tmp_path / "dbt.pid"
    script = ORPHAN_PARENT.replace("{sys.argv[1]!r}", repr(str(pid_file))).replace(
        "{sys.argv[2]!r}", repr(str(tmp_path))
    )
    parent = subprocess.Popen([sys.executable, "-c", script])
    try:
        for _ in range(600):  # bounded wait for the child to start (not a timing assertion)
            if pid_file.exists() and pid_file.read_text():
                break
            time.sleep(0.05)
        child = int(pid_file.read_text())
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        for _ in range(600):
            if not _alive(child):
                break
            time.sleep(0.05)
        assert not _alive(child), f"dbt (pid {child}) outlived the killed floe compile"
    finally:
        parent.kill()
        if pid_file.exists() and pid_file.read_text() and _alive(int(pid_file.read_text())):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by init) counts as gone
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "\nState:\tZ" in status.read_text())
