"""Fixtures: compiled copies of the demo and the test projects in tmp dirs (own DuckDB each).

`compiled` gives a fresh copy per test (for tests that run or change the project); `shared` compiles each
project once per worker for read-only tests (graph and metadata), since `dbt parse` is the slow part.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from floe_projects import DEMO, PROJECTS, compile_project, copy_project

ENV = {"FLOE_DUCKDB_PATH": ".floe/demo.duckdb"}


def _build(name: str, dest: Path) -> Path:
    src = DEMO if name == "demo" else PROJECTS / name
    return compile_project(copy_project(src, dest / name), env=ENV)


@pytest.fixture
def compiled(tmp_path: Path) -> Callable[[str], Path]:
    """compiled("demo" | "shop" | "warehouse") -> compiled_artifacts.json of a fresh tmp copy."""
    return lambda name: _build(name, tmp_path)


@pytest.fixture(scope="session")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Like `compiled`, but one compiled copy per project per worker: never modify it."""
    cache: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in cache:
            cache[name] = _build(name, tmp_path_factory.mktemp(f"shared-{name}"))
        return cache[name]

    return get
