"""compile_project: artifacts contract, compile steps, atomicity, no secrets in outputs."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from floe_core.artifacts import ARTIFACTS_FILENAME, CompiledArtifacts, DbtArtifacts
from floe_core.compile_steps import CompileContext, CompileStepResult
from floe_core.compiler import compile_project
from floe_core.errors import FloeError
from floe_core.fs import atomic_write_bytes, atomic_write_text
from floe_testkit import require

SECRET_ENV = {"SNOWFLAKE_USER": "s3cr3t-user-value", "SNOWFLAKE_KEY_PATH": "/very/s3cr3t/key.p8"}


def _fake_dbt_step(context: CompileContext) -> CompileStepResult:
    """Writes like floe-dbt does: under staging, with the final layout; records final project paths."""
    profiles = context.staging_dir / "profiles" / "profiles.yml"
    profiles.parent.mkdir(parents=True, exist_ok=True)
    target = context.spec.compute.default
    profiles.write_text(f"demo:\n  target: {target}\n", encoding="utf-8")
    return CompileStepResult(
        dbt=DbtArtifacts(
            project_dir="dbt",
            profiles_dir=context.relative(context.output_dir / "profiles"),
            profile_name="demo",
            target=target,
            manifest_path=context.relative(context.output_dir / "dbt" / "manifest.json"),
        )
    )


def _failing_step(context: CompileContext) -> CompileStepResult:
    (context.staging_dir / "profiles").mkdir(exist_ok=True)
    (context.staging_dir / "profiles" / "profiles.yml").write_text("half written", encoding="utf-8")
    raise FloeError("dbt parse failed: model x has a syntax error")


def _snapshot(folder: Path) -> dict[str, bytes]:
    """What a reader sees under `.floe/`: the fixed names (links through `current`), not the builds."""
    seen: dict[str, bytes] = {}
    for root, _dirs, files in os.walk(folder, followlinks=True):
        relative = Path(root).relative_to(folder)
        if relative.parts[:1] in (("builds",), ("current",)) or str(relative).startswith(".staging-"):
            continue
        seen.update({str(relative / f): (Path(root) / f).read_bytes() for f in files})
    return dict(sorted(seen.items()))


def _visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in ("builds", "current"))


def test_compile_writes_artifacts_and_step_outputs(project: Path) -> None:
    artifacts = compile_project(project, env={}, steps={"dbt": _fake_dbt_step})
    out = project.parent / ".floe"
    assert _snapshot(out).keys() == {ARTIFACTS_FILENAME, "profiles/profiles.yml"}
    loaded = CompiledArtifacts.load(out / ARTIFACTS_FILENAME)
    assert loaded == artifacts
    assert loaded.root == project.parent.resolve()
    assert loaded.spec_path == "floe.yaml"
    assert loaded.dbt is not None
    assert loaded.resolve(loaded.dbt.profiles_dir) == out / "profiles"
    assert loaded.resolve(loaded.dbt.manifest_path) == out / "dbt" / "manifest.json"
    assert artifacts.root == project.parent.resolve()
    assert not [p for p in out.iterdir() if p.name.startswith(".staging")]


def test_custom_output_dir_and_moved_project(project: Path, tmp_path: Path) -> None:
    compile_project(project, output_dir=tmp_path / "build" / "out", env={}, steps={})
    loaded = CompiledArtifacts.load(tmp_path / "build" / "out" / ARTIFACTS_FILENAME)
    assert loaded.root == project.parent.resolve()
    assert loaded.dbt is None


def test_env_changes_the_compiled_target(project: Path) -> None:
    prod = compile_project(project, env={"FLOE_TARGET": "prod"}, steps={"dbt": _fake_dbt_step})
    assert prod.spec.compute.default == "prod"
    assert (project.parent / ".floe/profiles/profiles.yml").read_text() == "demo:\n  target: prod\n"


@pytest.mark.parametrize("breakage", ["step", "spec"])
def test_failure_leaves_previous_outputs_byte_identical(project: Path, breakage: str) -> None:
    compile_project(project, env={}, steps={"dbt": _fake_dbt_step})
    out = project.parent / ".floe"
    before = _snapshot(out)
    if breakage == "spec":
        project.write_text(project.read_text().replace("name: demo", "name: [bad]"))
    steps = {"dbt": _failing_step} if breakage == "step" else {"dbt": _fake_dbt_step}
    with pytest.raises(FloeError):
        compile_project(project, env={"FLOE_TARGET": "prod"}, steps=steps)
    assert _snapshot(out) == before
    assert _visible(out) == [ARTIFACTS_FILENAME, "profiles"]


def test_unexpected_step_error_is_annotated_and_changes_nothing(project: Path) -> None:
    def broken(context: CompileContext) -> CompileStepResult:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError) as err:
        compile_project(project, env={}, steps={"broken": broken})
    assert "raised by floe compile step 'broken'" in err.value.__notes__
    assert [p.name for p in (project.parent / ".floe").iterdir()] == []


def test_two_steps_claiming_dbt_is_an_error(project: Path) -> None:
    with pytest.raises(FloeError, match="another step already did"):
        compile_project(project, env={}, steps={"a": _fake_dbt_step, "b": _fake_dbt_step})


def test_secret_values_never_reach_outputs(project: Path) -> None:
    compile_project(project, env={**SECRET_ENV, "FLOE_TARGET": "prod"}, steps={"dbt": _fake_dbt_step})
    for name, content in _snapshot(project.parent / ".floe").items():
        for secret in SECRET_ENV.values():
            assert secret.encode() not in content, name
    text = (project.parent / ".floe" / ARTIFACTS_FILENAME).read_text()
    assert "SNOWFLAKE_USER" in text  # the variable *name* is what is recorded


def test_artifacts_json_is_the_documented_contract(project: Path) -> None:
    compile_project(project, env={}, steps={"dbt": _fake_dbt_step})
    raw = json.loads((project.parent / ".floe" / ARTIFACTS_FILENAME).read_text())
    assert raw["schema_version"] == "1.0"
    assert set(raw) == {
        "schema_version",
        "floe_version",
        "project_root",
        "spec_path",
        "spec",
        "dbt",
        "target",
        "inputs",
    }
    assert raw["project_root"] == ".."
    assert raw["spec"]["compute"]["targets"]["dev"]["properties"]["threads"] == 4


def test_atomic_write_text_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "f.txt"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["f.txt"]


def test_atomic_write_keeps_the_old_file_when_writing_fails_and_follows_the_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import stat

    target = tmp_path / "f.bin"
    old_umask = os.umask(0o022)
    try:
        atomic_write_bytes(target, b"one")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # readable by other users' Dagster processes

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"one"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]  # no temp file left behind


@pytest.mark.slow
def test_real_entry_point_steps(project: Path) -> None:
    """End to end with whatever compile steps are installed (floe-dbt's `dbt` step)."""
    require(importlib.util.find_spec("floe_dbt.compile_step") is not None, "floe_dbt.compile_step")
    dbt_dir = project.parent / "dbt"
    (dbt_dir / "models").mkdir(parents=True)
    (dbt_dir / "dbt_project.yml").write_text(
        "name: demo\nversion: '1.0'\nconfig-version: 2\nprofile: demo\nmodel-paths: [models]\n"
    )
    (dbt_dir / "models" / "one.sql").write_text("select 1 as id\n")
    artifacts = compile_project(project, env={})
    assert artifacts.dbt is not None
    assert artifacts.resolve(artifacts.dbt.manifest_path).is_file()


KILLED_COMPILE = """
import os, signal, sys
from pathlib import Path
from floe_core import compiler
from floe_core.compile_steps import CompileStepResult

where = sys.argv[2]

def step(context):
    (context.staging_dir / "profiles").mkdir(parents=True, exist_ok=True)
    (context.staging_dir / "profiles" / "profiles.yml").write_text("new", encoding="utf-8")
    if where == "step":
        os.kill(os.getpid(), signal.SIGKILL)
    return CompileStepResult()

switch = compiler._switch_link

def killing_switch(link, target):
    if where == "publish" and link.name == "current":
        os.kill(os.getpid(), signal.SIGKILL)
    switch(link, target)

compiler._switch_link = killing_switch
compiler.compile_project(sys.argv[1], env={"FLOE_TARGET": "prod"}, steps={"dbt": step})
"""


@pytest.mark.parametrize("where", ["step", "publish"])
def test_a_compile_killed_anywhere_leaves_the_previous_outputs_and_is_cleaned_up(
    project: Path, where: str
) -> None:
    """Issue 16.8: a kill (SIGKILL: no handler runs) while a step writes or inside the publish leaves what
    readers see byte-identical; the next compile removes the dead compile's staging folder and old builds."""
    compile_project(project, env={}, steps={"dbt": _fake_dbt_step})
    out = project.parent / ".floe"
    before = _snapshot(out)
    done = subprocess.run([sys.executable, "-c", KILLED_COMPILE, str(project), where], check=False)
    assert done.returncode == -signal.SIGKILL
    assert _snapshot(out) == before
    left = [p.name for p in out.iterdir() if p.name.startswith(".staging-")]
    assert len(left) == (1 if where == "step" else 0)  # the publish had already renamed its staging

    for _ in range(3):
        compile_project(project, env={}, steps={"dbt": _fake_dbt_step})
    assert not [p for p in out.iterdir() if p.name.startswith(".staging-")]
    assert len(list((out / "builds").iterdir())) == 2  # the current build and the one before it
    assert (out / "current").resolve().parent == (out / "builds").resolve()
