"""tests/orchestration fixtures; helpers live in orch_support.py (put on sys.path here: importlib mode)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance
from floe_projects import DEMO, compile_project, copy_project

sys.path.insert(0, str(Path(__file__).parent))
from orch_support import DEMO_ENV


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo, compiled once per test module (schedules off)."""
    project = Path(copy_project(DEMO, tmp_path_factory.mktemp("demo") / "demo"))
    compile_project(project, env=DEMO_ENV)
    return project


@pytest.fixture
def demo(demo_template: Path, tmp_path: Path) -> Path:
    """A copy of the compiled demo with its own DuckDB file."""
    return Path(shutil.copytree(demo_template, tmp_path / "demo"))


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[DagsterInstance]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    with DagsterInstance.local_temp(str(home)) as inst:
        yield inst
