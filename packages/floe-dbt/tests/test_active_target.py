"""The active target as its own module resolves it for the compiled artifacts: OpenLineage namespace and
dataset naming (https://openlineage.io/docs/spec/naming), SQL dialect, local database file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from floe_core.loader import parse_spec
from floe_dbt.profiles import LocalPaths, active_target

BASE = """
name: p
version: "1"
compute:
  default: t
  targets:
    t: {target}
"""


def _target(target: str, floe_dir: Path = Path("/proj")) -> Any:
    spec = parse_spec(BASE.format(target=target), env={})
    return active_target(spec, LocalPaths(floe_dir=floe_dir))


@pytest.mark.parametrize(
    ("target", "namespace"),
    [
        ("{type: duckdb, properties: {path: ../w.duckdb}}", "duckdb:///proj/w.duckdb"),
        ("{type: duckdb, properties: {path: ':memory:'}}", "duckdb://memory"),
        ("{type: duckdb, properties: {path: 'md:shop'}}", "duckdb://md:shop"),
        (
            "{type: postgres, properties: {host: db, port: 5433, database: d, schema: s},"
            " credentials: {method: password, user_env: U, password_env: P}}",
            "postgres://db:5433",
        ),
        (
            "{type: redshift, properties: {host: analytics.abc123.eu-west-1.redshift.amazonaws.com,"
            " database: d, schema: s}, credentials: {method: database, user_env: U, password_env: P}}",
            "redshift://analytics.eu-west-1:5439",
        ),
        (  # a host that is not Redshift's AWS name (a proxy, a tunnel): kept as given
            "{type: redshift, properties: {host: warehouse.internal, port: 5440, database: d, schema: s},"
            " credentials: {method: database, user_env: U, password_env: P}}",
            "redshift://warehouse.internal:5440",
        ),
        (
            "{type: snowflake, properties: {account: MyOrg-MyAccount, database: d, schema: s},"
            " credentials: {method: externalbrowser, user_env: U}}",
            "snowflake://myorg-myaccount",
        ),
        ("{type: bigquery, properties: {project: p, dataset: d}, credentials: {method: oauth}}", "bigquery"),
        (
            "{type: databricks, properties: {host: adb-1.azuredatabricks.net, http_path: /sql, schema: s},"
            " credentials: {method: token, token_env: T}}",
            "databricks://adb-1.azuredatabricks.net",
        ),
        (
            "{type: spark, properties: {host: spark, port: 10001, schema: s}, credentials: {method: thrift}}",
            "spark://spark:10001",
        ),
    ],
)
def test_namespaces_follow_the_openlineage_naming_spec(target: str, namespace: str) -> None:
    assert _target(target, Path("/proj/sub")).lineage_namespace == namespace


def test_dataset_names_and_dialects_per_target() -> None:
    duck = _target("{type: duckdb, properties: {path: w.duckdb}}")
    assert (duck.type, duck.adapter_package, duck.sql_dialect) == ("duckdb", "dbt-duckdb", "duckdb")
    assert duck.dataset_name("w", "main", "orders") == "w.main.orders"
    spark = _target("{type: spark, properties: {host: h, schema: s}, credentials: {method: thrift}}")
    assert spark.dataset_name("ignored", "s", "orders") == "s.orders"  # Spark: schema.table


def test_only_a_local_duckdb_file_is_a_database_path() -> None:
    assert _target("{type: duckdb, properties: {path: .floe/w.duckdb}}").database_path == ".floe/w.duckdb"
    assert _target("{type: duckdb, properties: {path: /data/w.duckdb}}").database_path == "/data/w.duckdb"
    assert _target("{type: duckdb, properties: {path: ':memory:'}}").database_path is None
    assert _target("{type: duckdb, properties: {path: 'md:shop'}}").database_path is None
    pg = "{type: postgres, properties: {host: db, database: d, schema: s}, credentials: {method: password, user_env: U, password_env: P}}"
    assert _target(pg).database_path is None
