"""The `floe` executable: exit codes, messages, never a traceback for user errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import yaml
from floe_core.cli import find_config
from floe_core.schema import spec_json_schema

FLOE = Path(sys.executable).parent / "floe"


def _floe(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("FLOE_")}
    return subprocess.run(
        [str(FLOE), *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_validate_ok_finds_floe_yaml_upward(project: Path) -> None:
    nested = project.parent / "a" / "b"
    nested.mkdir(parents=True)
    run = _floe("validate", cwd=nested)
    assert run.returncode == 0, run.stderr
    assert f"{project.resolve()} is valid" in run.stdout


def test_validate_lists_every_issue_as_file_line_path(project: Path) -> None:
    text = project.read_text().replace("threads: ${FLOE_THREADS:4}", "threads: lots\n        thread: 2")
    project.write_text(text.replace("path: dbt", "path: ${DBT_DIR_UNSET}"))
    run = _floe("validate", "-c", "floe.yaml", cwd=project.parent)
    assert run.returncode == 1
    assert "Traceback" not in run.stdout + run.stderr
    lines = run.stderr.splitlines()
    assert lines[0] == "floe.yaml is invalid (3 problems):"
    assert (
        lines[1] == "floe.yaml:10: compute.targets.dev.properties.threads: expected an integer (got 'lots')"
    )
    assert lines[2].startswith("floe.yaml:11: compute.targets.dev.properties.thread: unknown key 'thread'")
    assert lines[3].startswith(
        "floe.yaml:18: transforms[0].path: environment variable DBT_DIR_UNSET is not set"
    )


def test_no_floe_yaml_anywhere(tmp_path: Path) -> None:
    run = _floe("validate", cwd=tmp_path)
    assert run.returncode == 1
    assert "no floe.yaml in" in run.stderr
    assert "Traceback" not in run.stderr


def test_missing_config_file(tmp_path: Path) -> None:
    run = _floe("compile", "-c", "nope.yaml", cwd=tmp_path)
    assert run.returncode == 1
    assert "nope.yaml: file not found" in run.stderr
    assert "Traceback" not in run.stderr


def test_unexpected_error_exit_2_traceback_only_when_debugging(tmp_path: Path) -> None:
    # `-o` pointing below a regular file makes writing fail with an OSError that is not a user error class
    (tmp_path / "afile").write_text("x")
    run = _floe("schema", "-o", str(tmp_path / "afile" / "schema.json"), cwd=tmp_path)
    assert run.returncode == 2
    assert "internal error" in run.stderr
    assert "Traceback" not in run.stderr
    debug = _floe(
        "schema", "-o", str(tmp_path / "afile" / "schema.json"), cwd=tmp_path, env={"FLOE_DEBUG": "1"}
    )
    assert debug.returncode == 2
    assert "Traceback" in debug.stderr


def test_compile_reports_where_it_wrote(project: Path) -> None:
    run = _floe("compile", "-o", "out", cwd=project.parent)
    assert "Traceback" not in run.stdout + run.stderr
    if run.returncode == 0:
        assert (project.parent / "out" / "compiled_artifacts.json").is_file()
        assert "compiled_artifacts.json" in run.stdout
    else:  # the installed compile steps (floe-dbt) may fail without a dbt project: a user error, not a crash
        assert run.returncode == 1, run.stderr
        assert not (project.parent / "out" / "compiled_artifacts.json").exists()


def test_schema_is_valid_json_schema_and_accepts_the_contract(project: Path, tmp_path: Path) -> None:
    run = _floe("schema", cwd=tmp_path)
    assert run.returncode == 0
    schema = json.loads(run.stdout)
    assert schema == json.loads(json.dumps(spec_json_schema()))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    validator.validate(yaml.safe_load(project.read_text()))  # `threads: ${FLOE_THREADS:4}` accepted
    errors = list(
        validator.iter_errors({"name": "x", "version": "1", "compute": {"default": "d"}, "bogus": 1})
    )
    assert errors  # missing targets, unknown key


def test_schema_to_file(tmp_path: Path) -> None:
    run = _floe("schema", "-o", "floe.schema.json", cwd=tmp_path)
    assert run.returncode == 0
    jsonschema.Draft202012Validator.check_schema(json.loads((tmp_path / "floe.schema.json").read_text()))


def test_find_config_prefers_the_nearest(tmp_path: Path) -> None:
    (tmp_path / "floe.yaml").write_text("x")
    (tmp_path / "inner").mkdir()
    (tmp_path / "inner" / "floe.yaml").write_text("y")
    assert find_config(tmp_path / "inner") == (tmp_path / "inner" / "floe.yaml").resolve()
    assert find_config(tmp_path) == (tmp_path / "floe.yaml").resolve()
