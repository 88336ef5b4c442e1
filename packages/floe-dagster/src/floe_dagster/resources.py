"""Resources from the compiled contract: `dbt` (dbt on the generated profiles) and, when the active compute
target has a local database file (DuckDB), `duckdb` — so Python assets write where dbt reads without
knowing the path. Read from the artifacts' resolved target, never from profiles.yml."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource
from floe_core.artifacts import CompiledArtifacts
from pydantic import Field

from floe_dagster.compat import FloeDbtCliResource
from floe_dagster.project import active_target

if TYPE_CHECKING:  # imported when an asset connects, not when definitions load
    import duckdb

DUCKDB_RESOURCE_KEY = "duckdb"
DBT_RESOURCE_KEY = "dbt"


class DuckDBResource(ConfigurableResource):  # type: ignore[type-arg]
    """A DuckDB database file shared with dbt. DuckDB allows one writing process at a time, so
    `connect()` waits (bounded) for another process's lock instead of failing at once."""

    path: str = Field(description="absolute path of the .duckdb file (the active target's properties.path)")
    lock_timeout_seconds: float = Field(default=120.0, description="how long connect() waits for a lock")

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = self._open()
        try:
            yield conn
        finally:
            conn.close()  # release the file promptly: dbt needs it next

    def _open(self) -> duckdb.DuckDBPyConnection:
        import duckdb

        deadline = time.monotonic() + self.lock_timeout_seconds
        delay = 0.1
        while True:
            try:
                return duckdb.connect(self.path)
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 2.0)


def build_resources(artifacts: CompiledArtifacts) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    if artifacts.dbt is not None:
        resources[DBT_RESOURCE_KEY] = dbt_resource(artifacts)
    path = duckdb_path(artifacts)
    if path is not None:
        resources[DUCKDB_RESOURCE_KEY] = DuckDBResource(path=str(path))
    return resources


def dbt_resource(artifacts: CompiledArtifacts) -> DbtCliResource:
    """dbt on the generated profiles.yml, the active target and the dbt next to this Python."""
    assert artifacts.dbt is not None
    database = duckdb_path(artifacts)
    if database is not None:
        # dbt-duckdb does not create missing folders; a fresh checkout has no .floe/ for the database yet.
        database.parent.mkdir(parents=True, exist_ok=True)
    return FloeDbtCliResource(
        project_dir=str(artifacts.resolve(artifacts.dbt.project_dir)),
        profiles_dir=str(artifacts.resolve(artifacts.dbt.profiles_dir)),
        profile=artifacts.dbt.profile_name,
        target=artifacts.dbt.target,
        dbt_executable=_dbt_executable(),
    )


def _dbt_executable() -> str:
    # `dagster dev` or a test runner may not have the virtualenv's bin on PATH.
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else "dbt"


def duckdb_path(artifacts: CompiledArtifacts) -> Path | None:
    """The active target's local database file — the one dbt opens — or None when it has none.

    floe.yaml writes it relative to its own folder (profiles.yml rebases it for dbt onto the dbt project
    folder: the same file)."""
    database = active_target(artifacts).database_path
    return None if database is None else (artifacts.root / database).resolve()
