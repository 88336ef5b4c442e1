"""Test helpers for floe-dagster: copy a floe project into a tmp dir and compile it with `floe compile`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEMO = REPO / "demo"
PROJECTS = REPO / "tests" / "projects"
_IGNORE = shutil.ignore_patterns(".floe", "target", "logs", "dbt_packages", "*.duckdb*", "__pycache__")


def copy_project(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, ignore=_IGNORE)
    return dest


def compile_project(project: Path, env: dict[str, str] | None = None) -> Path:
    """`floe compile` in `project` (folder holding floe.yaml); returns the compiled_artifacts.json path."""
    done = subprocess.run(
        [str(BIN / "floe"), "compile"],
        cwd=project,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"floe compile failed in {project}:\n{done.stdout}\n{done.stderr}")
    return project / ".floe" / "compiled_artifacts.json"


def write_artifacts(root: Path, spec: dict[str, object], dbt: object | None = None) -> Path:
    """Hand-made `.floe/compiled_artifacts.json` for `spec` (what `floe compile` records, the active target
    resolved by floe-dbt as its step does), for tests of loading edge cases no real compile produces."""
    from floe_core.artifacts import CompiledArtifacts, DbtArtifacts
    from floe_core.spec import FloeSpec
    from floe_dbt.profiles import LocalPaths, active_target

    root.mkdir(parents=True, exist_ok=True)
    if not (root / "floe.yaml").exists():
        (root / "floe.yaml").write_text(
            "# written by the test; .floe/compiled_artifacts.json is what counts\n"
        )
    (root / ".floe").mkdir(exist_ok=True)
    model = FloeSpec.model_validate(spec)
    assert dbt is None or isinstance(dbt, DbtArtifacts)
    artifacts = CompiledArtifacts(
        floe_version="0.1.0",
        project_root="..",
        spec_path="floe.yaml",
        spec=model,
        dbt=dbt,
        target=active_target(model, LocalPaths(floe_dir=root)),
    )
    path = root / ".floe" / "compiled_artifacts.json"
    path.write_text(artifacts.to_json())
    return path
