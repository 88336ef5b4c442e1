"""Resources from the compiled contract: `dbt` (dbt on the generated profiles) and a connection to the active
compute target's warehouse for Python assets — `duckdb` for a DuckDB target (its database file), `postgres`
for a PostgreSQL target — so Python assets write where dbt reads without knowing where that is. Read from
the artifacts' resolved target, never from profiles.yml; credentials are read from the environment variables
floe.yaml names when an asset connects, never stored.

A Python asset (or asset check) that needs a resource the active target does not provide is a floe error
naming the target, the asset and the key (`missing_resources`): at `floe compile` and at load, instead of
Dagster's "resource with key ... required"."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dagster import AssetChecksDefinition, AssetsDefinition, ConfigurableResource
from dagster_dbt import DbtCliResource
from floe_core.artifacts import CompiledArtifacts
from floe_core.errors import FloeError
from floe_core.spec.compute import ComputeTarget
from floe_core.spec.compute.postgres import PostgresTarget
from pydantic import Field

from floe_dagster.compat import FloeDbtCliResource
from floe_dagster.project import active_target, spec_file

if TYPE_CHECKING:  # imported when an asset connects, not when definitions load
    import duckdb
    from psycopg2.extensions import connection as PgConnection

DUCKDB_RESOURCE_KEY = "duckdb"
POSTGRES_RESOURCE_KEY = "postgres"
DBT_RESOURCE_KEY = "dbt"
# the warehouse resource floe gives Python assets, by compute target type; other types get none (yet)
WAREHOUSE_RESOURCES = {"duckdb": DUCKDB_RESOURCE_KEY, "postgres": POSTGRES_RESOURCE_KEY}
DAGSTER_DEFAULT_KEYS = frozenset({"io_manager"})  # Dagster provides these itself


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


class PostgresResource(ConfigurableResource):  # type: ignore[type-arg]
    """A PostgreSQL connection to the active target's database (psycopg2, which dbt-postgres brings), with
    dbt's schema first on the search_path: an unqualified table is where dbt's sources and models are.

    `connect()` commits when the block ends normally, rolls back when it raises, and always closes. The
    user and password are read from the environment variables floe.yaml names (`credentials.user_env`,
    `password_env`; an empty password for trust/peer auth) at connect time, like dbt's env_var()."""

    target: str = Field(description="the compute target's name in floe.yaml (for messages)")
    host: str
    port: int
    port_env: str | None = None
    database: str
    schema_name: str = Field(description="dbt's schema: first on the search_path")
    search_path: str | None = Field(default=None, description="search_path instead of schema_name")
    user_env: str
    password_env: str
    sslmode: str | None = None
    sslrootcert: str | None = None
    role: str | None = None
    connect_timeout: int = 10

    @classmethod
    def for_target(cls, name: str, target: PostgresTarget) -> PostgresResource:
        p, c = target.properties, target.credentials
        return cls(
            target=name,
            host=p.host,
            port=p.port,
            port_env=p.port_env,
            database=p.database,
            schema_name=p.schema_,
            search_path=p.search_path,
            user_env=c.user_env,
            password_env=c.password_env,
            sslmode=p.sslmode,
            sslrootcert=p.sslrootcert,
            role=p.role,
            connect_timeout=p.connect_timeout,
        )

    def _env(self, name: str, field: str) -> str:
        value = os.environ.get(name)
        if value is None:
            raise FloeError(
                f"postgres resource of target {self.target!r}: ${name} is not set"
                f" (compute.targets.{self.target}.{field} names it; empty is allowed for trust auth)"
            )
        return value

    def connection_arguments(self) -> dict[str, Any]:
        """psycopg2.connect's keyword arguments (the password included: never log them)."""
        port = int(self._env(self.port_env, "properties.port_env")) if self.port_env else self.port
        arguments: dict[str, Any] = {
            "host": self.host,
            "port": port,
            "dbname": self.database,
            "user": self._env(self.user_env, "credentials.user_env"),
            "password": self._env(self.password_env, "credentials.password_env") or None,
            "connect_timeout": self.connect_timeout,
            "application_name": "floe",
        }
        if self.sslmode:
            arguments["sslmode"] = self.sslmode
        if self.sslrootcert:
            arguments["sslrootcert"] = self.sslrootcert
        return arguments

    @contextmanager
    def connect(self) -> Iterator[PgConnection]:
        import psycopg2
        from psycopg2 import sql

        conn = psycopg2.connect(**self.connection_arguments())
        try:
            with conn.cursor() as cursor:
                if self.role:
                    cursor.execute(sql.SQL("set role {}").format(sql.Identifier(self.role)))
                if self.search_path:
                    cursor.execute("select set_config('search_path', %s, false)", (self.search_path,))
                else:
                    cursor.execute(sql.SQL("set search_path to {}").format(sql.Identifier(self.schema_name)))
            conn.commit()
            yield conn
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            conn.close()


def build_resources(artifacts: CompiledArtifacts) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    if artifacts.dbt is not None:
        resources[DBT_RESOURCE_KEY] = dbt_resource(artifacts)
    path = duckdb_path(artifacts)
    if path is not None:
        resources[DUCKDB_RESOURCE_KEY] = DuckDBResource(path=str(path))
    name = active_target(artifacts).name
    target = artifacts.spec.compute.targets.get(name)
    if isinstance(target, PostgresTarget):
        resources[POSTGRES_RESOURCE_KEY] = PostgresResource.for_target(name, target)
    return resources


def provided_keys(target: ComputeTarget, has_dbt: bool) -> frozenset[str]:
    """The resource keys a code location compiled for `target` has (build_resources), without building it."""
    keys = {*DAGSTER_DEFAULT_KEYS, *([DBT_RESOURCE_KEY] if has_dbt else [])}
    warehouse = WAREHOUSE_RESOURCES.get(target.type)
    if warehouse is not None:
        keys.add(warehouse)
    return frozenset(keys)


def missing_resources(
    definitions: Iterable[AssetsDefinition | AssetChecksDefinition], provided: Iterable[str]
) -> list[tuple[str, str]]:
    """(asset or check name, resource key) for every resource a Python asset or check needs that is not
    provided, sorted."""
    have = set(provided)
    missing: set[tuple[str, str]] = set()
    for definition in definitions:
        if isinstance(definition, AssetChecksDefinition):
            names = [f"check {k.name} of {k.asset_key.to_user_string()}" for k in definition.check_keys]
        else:
            names = [k.to_user_string() for k in definition.keys]
        for key in set(definition.required_resource_keys) - have:
            missing.update((name, key) for name in names)
    return sorted(missing)


def missing_resources_message(
    target_name: str, target_type: str, missing: Iterable[tuple[str, str]], provided: Iterable[str]
) -> str:
    """What is missing, on which target, and what floe provides where."""
    needs = "; ".join(f"{asset!r} needs resource {key!r}" for asset, key in missing)
    offered = sorted(set(provided) - DAGSTER_DEFAULT_KEYS)
    by_type = ", ".join(f"{key!r} with {kind} targets" for kind, key in WAREHOUSE_RESOURCES.items())
    return (
        f"{needs}, which the active compute target {target_name!r} (type {target_type}) does not provide"
        f" (it provides: {', '.join(repr(k) for k in offered) or 'none'}); floe provides {by_type}:"
        " select such a target (compute.default / $FLOE_TARGET), or connect to the warehouse in the asset"
        " itself (docs/dagster.md, resources)"
    )


def check_resources(
    artifacts: CompiledArtifacts,
    definitions: Iterable[AssetsDefinition | AssetChecksDefinition],
    resources: Mapping[str, Any],
) -> None:
    """At load: a FloeError instead of Dagster's "resource with key ... required" (floe compile checks the
    same thing first, with the floe.yaml line)."""
    provided = {*resources, *DAGSTER_DEFAULT_KEYS}
    missing = missing_resources(definitions, provided)
    if missing:
        target = active_target(artifacts)
        raise FloeError(
            f"{spec_file(artifacts)}: orchestration.asset_modules: "
            + missing_resources_message(target.name, target.type, missing, provided)
        )


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
