"""Resources the factory provides: `dbt` (DbtCliResource on the generated profiles) and, when the active
compute target is DuckDB, `duckdb` — so Python assets write where dbt reads without knowing the path."""

from __future__ import annotations

import functools
import importlib.metadata
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource
from floe_core.artifacts import CompiledArtifacts
from packaging import version
from pydantic import BaseModel, Field

if TYPE_CHECKING:  # imported when an asset connects, not when definitions load
    import duckdb

DUCKDB_RESOURCE_KEY = "duckdb"


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
        resources["dbt"] = dbt_resource(artifacts)
    path = duckdb_path(artifacts)
    if path is not None:
        resources[DUCKDB_RESOURCE_KEY] = DuckDBResource(path=str(path))
    return resources


class FloeDbtCliResource(DbtCliResource):
    """dagster-dbt's DbtCliResource, minus two costs it pays in every step process before dbt starts.

    dagster-dbt runs `dbt --version` in every step process to choose its CLI flags. That command imports
    every installed adapter and asks PyPI for newer releases: seconds per step (about 10 s with the seven
    adapters floe supports installed), or a network timeout where PyPI is unreachable. When the executable
    is dbt-core's own console script next to this Python, its version is dbt-core's package version.

    dagster-dbt also opens a dbt adapter in every step (it loads the project and profile and parses every
    macro: ~3 s before dbt is even spawned). The adapter serves only `fetch_row_counts()` and
    `fetch_column_metadata()` on the event stream, which floe's dbt assets do not call, so it is not opened.
    """

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> Any:
        return None  # the invocation then has no adapter; see the class docstring

    @functools.cached_property
    def _cli_version(self) -> version.Version:
        local = _dbt_core_version(Path(self.dbt_executable))
        return local if local is not None else super()._cli_version


def _dbt_core_version(executable: Path) -> version.Version | None:
    if executable.parent != Path(sys.executable).parent:
        return None
    try:
        script = executable.read_text(encoding="utf-8", errors="replace")[:2000]
        if "from dbt.cli.main import cli" not in script:  # e.g. another dbt engine under the same name
            return None
        return version.parse(importlib.metadata.version("dbt-core"))
    except (OSError, importlib.metadata.PackageNotFoundError, version.InvalidVersion):
        return None


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


def active_target_name(artifacts: CompiledArtifacts) -> str:
    return artifacts.dbt.target if artifacts.dbt is not None else artifacts.spec.compute.default


def duckdb_path(artifacts: CompiledArtifacts) -> Path | None:
    """The active target's DuckDB file — exactly the one dbt opens — or None when it is not DuckDB.

    The generated profiles.yml is the truth: its relative path is resolved from the dbt project folder (dbt's
    working directory; floe rebased it there from floe.yaml's folder). Without dbt, a relative path in
    floe.yaml is taken from the folder of floe.yaml.
    """
    target = artifacts.spec.compute.targets.get(active_target_name(artifacts))
    raw = target.model_dump(by_alias=True) if isinstance(target, BaseModel) else target
    if not isinstance(raw, dict) or raw.get("type") != "duckdb":
        return None
    if artifacts.dbt is not None:
        output = _profile_output(artifacts)
        if output is not None:
            return _local_file(output.get("path"), artifacts.resolve(artifacts.dbt.project_dir))
    return _local_file((raw.get("properties") or {}).get("path"), artifacts.root)


def _local_file(path: object, base: Path) -> Path | None:
    if not isinstance(path, str) or path == ":memory:" or path.startswith("md:") or "{{" in path:
        return None
    return (base / path).resolve()


def _profile_output(artifacts: CompiledArtifacts) -> dict[str, Any] | None:
    assert artifacts.dbt is not None
    profiles = artifacts.resolve(artifacts.dbt.profiles_dir) / "profiles.yml"
    try:
        loaded = yaml.safe_load(profiles.read_text(encoding="utf-8"))
        output = loaded[artifacts.dbt.profile_name]["outputs"][artifacts.dbt.target]
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return None  # no usable profile yet: fall back to floe.yaml
    return output if isinstance(output, dict) else None
