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
