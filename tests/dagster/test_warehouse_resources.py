"""The warehouse resource Python assets get beside dbt (issue 15): `postgres` on a PostgreSQL target, tested
against the server at 127.0.0.1:5432; a target that provides none is a floe error at `floe compile` (with the
floe.yaml line) and at load, never Dagster's "resource with key ... required"."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from floe_core.errors import FloeError
from floe_dagster import FloeDefinitions
from floe_dagster.resources import PostgresResource
from floe_projects import compile_project, write_artifacts
from floe_testkit import require

BIN = Path(sys.executable).parent

PG_ASSETS = '''
from dagster import asset
from floe_dagster import PostgresResource


@asset
def raw_orders(postgres: PostgresResource) -> None:
    """Lands three orders where dbt reads its source: dbt's schema is first on the search_path."""
    with postgres.connect() as conn, conn.cursor() as cursor:
        cursor.execute(f'create schema if not exists "{postgres.schema_name}"')
        cursor.execute("drop table if exists raw_orders")
        cursor.execute("create table raw_orders (id int, item text)")
        cursor.execute("insert into raw_orders values (1, 'apple'), (2, 'pear'), (3, 'fig')")
'''

DUCKDB_ASSETS = """
from dagster import asset
from floe_dagster import DuckDBResource


@asset
def landed(duckdb: DuckDBResource) -> None:
    with duckdb.connect() as conn:
        conn.execute("create table landed as select 1 as id")
"""


def _pg_up() -> bool:
    try:
        import psycopg2

        psycopg2.connect(
            host="127.0.0.1", port=5432, user="postgres", dbname="test", connect_timeout=3
        ).close()
    except Exception:
        return False
    return True


@pytest.fixture
def pg_schema() -> Iterator[str]:
    require(_pg_up(), "PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth, db test)")
    import psycopg2

    schema = f"floe_res_{uuid.uuid4().hex[:10]}"
    yield schema
    conn = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="test")
    with conn, conn.cursor() as cursor:
        cursor.execute(f'drop schema if exists "{schema}" cascade')
    conn.close()


def _postgres_project(root: Path, schema: str) -> Path:
    models = root / "dbt" / "models"
    models.mkdir(parents=True)
    (root / "dbt" / "dbt_project.yml").write_text(
        "name: orders\nversion: '1.0'\nconfig-version: 2\nprofile: orders\nmodel-paths: [models]\n"
    )
    (models / "sources.yml").write_text(
        'version: 2\nsources:\n  - name: raw\n    schema: "{{ target.schema }}"\n'
        "    tables: [{name: raw_orders}]\n"
    )
    (models / "order_count.sql").write_text(
        "{{ config(materialized='table') }}\nselect count(*) as n from {{ source('raw', 'raw_orders') }}\n"
    )
    (root / "assets.py").write_text(PG_ASSETS)
    (root / "floe.yaml").write_text(
        textwrap.dedent(
            f"""\
            name: orders
            version: "1.0"
            compute:
              default: ci
              targets:
                ci:
                  type: postgres
                  properties: {{host: 127.0.0.1, port: 5432, database: test, schema: {schema}}}
                  credentials: {{method: password, user_env: FLOE_T_PG_USER, password_env: FLOE_T_PG_PASSWORD}}
            transforms:
              - type: dbt
                path: dbt
            orchestration:
              asset_modules: [assets.py]
              dbt: {{sources: {{raw.raw_orders: raw_orders}}}}
            """
        )
    )
    return root


@pytest.mark.slow
@pytest.mark.postgres
def test_python_asset_writes_through_the_postgres_resource_and_dbt_reads_it(
    tmp_path: Path, pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"FLOE_T_PG_USER": "postgres", "FLOE_T_PG_PASSWORD": ""}  # trust auth: an empty password
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    project = _postgres_project(tmp_path / "orders", pg_schema)
    artifacts = compile_project(project, env=env)

    defs = FloeDefinitions.from_compiled_artifacts(artifacts)
    resource = defs.resources["postgres"]
    assert isinstance(resource, PostgresResource)
    assert (resource.host, resource.port, resource.database, resource.schema_name) == (
        "127.0.0.1",
        5432,
        "test",
        pg_schema,
    )
    raw = defs.resolve_assets_def("raw_orders")
    assert "postgres" in raw.required_resource_keys

    result = defs.resolve_implicit_global_asset_job_def().execute_in_process()
    assert result.success

    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="test")
    with conn, conn.cursor() as cursor:
        cursor.execute(f'select id, item from "{pg_schema}".raw_orders order by id')
        assert cursor.fetchall() == [(1, "apple"), (2, "pear"), (3, "fig")]
        cursor.execute(f'select n from "{pg_schema}".order_count')  # dbt's model on the asset's rows
        assert cursor.fetchall() == [(3,)]
    conn.close()

    # the resource reads the user at connect time: an unset variable is named, with its floe.yaml field
    monkeypatch.delenv("FLOE_T_PG_USER")
    with pytest.raises(FloeError) as raised, resource.connect():
        pass
    assert str(raised.value) == (
        "postgres resource of target 'ci': $FLOE_T_PG_USER is not set"
        " (compute.targets.ci.credentials.user_env names it; empty is allowed for trust auth)"
    )


SNOWFLAKE_WITH_DUCKDB_ASSET = """\
name: shop
version: "1.0"
compute:
  default: ${FLOE_TARGET:dev}
  targets:
    dev:
      type: duckdb
      properties: {path: .floe/shop.duckdb}
    prod:
      type: snowflake
      properties: {account: xy123, database: ANALYTICS, schema: core, warehouse: WH}
      credentials: {method: password, user_env: FLOE_T_SF_USER, password_env: FLOE_T_SF_PASSWORD}
orchestration:
  asset_modules:
    - landing.py
"""


def _floe(project: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("FLOE_")}
    return subprocess.run(
        [str(BIN / "floe"), *args],
        cwd=project,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_compile_rejects_a_python_asset_needing_a_resource_the_target_lacks(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    project.mkdir()
    (project / "floe.yaml").write_text(SNOWFLAKE_WITH_DUCKDB_ASSET)
    (project / "landing.py").write_text(DUCKDB_ASSETS)

    assert _floe(project, "compile", env={}).returncode == 0  # dev: DuckDB provides `duckdb`

    done = _floe(project, "compile", env={"FLOE_TARGET": "prod"})
    assert done.returncode == 1, done.stdout + done.stderr
    output = done.stdout + done.stderr
    assert "Traceback" not in output
    assert "required" not in output  # not Dagster's "resource with key 'duckdb' required"
    floe_yaml = project / "floe.yaml"
    assert done.stderr.strip().splitlines() == [
        f"{floe_yaml} is invalid (1 problem):",
        f"{floe_yaml}:15: orchestration.asset_modules[0]: 'landed' needs resource 'duckdb', which the active"
        " compute target 'prod' (type snowflake) does not provide (it provides: none); floe provides"
        " 'duckdb' with duckdb targets, 'postgres' with postgres targets: select such a target"
        " (compute.default / $FLOE_TARGET), or connect to the warehouse in the asset itself"
        " (docs/dagster.md, resources) (got 'landing.py')",
    ]
    # the previous (dev) compile stays in place: a failed compile publishes nothing
    assert '"name": "dev"' in (project / ".floe" / "compiled_artifacts.json").read_text()


def test_load_names_the_target_instead_of_dagsters_missing_resource_error(tmp_path: Path) -> None:
    """Artifacts compiled elsewhere (or by a floe without the compile check): the load says the same."""
    (tmp_path / "landing.py").write_text(DUCKDB_ASSETS)
    spec = {
        "name": "shop",
        "version": "1.0",
        "compute": {
            "default": "prod",
            "targets": {
                "prod": {
                    "type": "snowflake",
                    "properties": {"account": "xy123", "database": "A", "schema": "core", "warehouse": "WH"},
                    "credentials": {"method": "password", "user_env": "U", "password_env": "P"},
                }
            },
        },
        "orchestration": {"asset_modules": ["landing.py"]},
    }
    artifacts = write_artifacts(tmp_path, spec)
    with pytest.raises(FloeError) as raised:
        FloeDefinitions.from_compiled_artifacts(artifacts)
    assert str(raised.value).startswith(
        f"{tmp_path / 'floe.yaml'}: orchestration.asset_modules: 'landed' needs resource 'duckdb', which the"
        " active compute target 'prod' (type snowflake) does not provide (it provides: none);"
    )
