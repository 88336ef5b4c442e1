"""Every target type and every auth method: the generated profiles.yml is loaded by dbt itself (its
renderer, then the adapter's Credentials) with dummy secrets in the environment, and the fields dbt ends
up with are checked — not the YAML text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from floe_core.spec.compute import SUPPORTED_TARGET_TYPES
from floe_dbt.profiles import REGISTRY, write_profiles

SA_JSON = {"type": "service_account", "project_id": "proj-1", "private_key_id": "k1", "client_email": "a@b.c"}

# id -> (target as written in floe.yaml, environment, fields dbt must end up with)
CASES: dict[str, tuple[dict[str, Any], dict[str, str], dict[str, Any]]] = {
    "duckdb-none": (
        {
            "type": "duckdb",
            "properties": {
                "path": "warehouse.duckdb",
                "threads": 2,
                "extensions": ["parquet"],
                "settings": {"memory_limit": "1GB"},
                "attach": [{"path": "other.duckdb", "alias": "other", "read_only": True}],
            },
        },
        {},
        {"path": "warehouse.duckdb", "schema": "main", "extensions": ["parquet"], "threads": 2},
    ),
    "duckdb-motherduck": (
        {
            "type": "duckdb",
            "properties": {"path": "md:analytics"},
            "credentials": {"method": "motherduck", "token_env": "MD_TOKEN"},
        },
        {"MD_TOKEN": "md-token-1"},
        {"path": "md:analytics", "motherduck_token": "md-token-1", "threads": 4},
    ),
    "snowflake-password": (
        {
            "type": "snowflake",
            "properties": {"account": "xy123", "database": "ANALYTICS", "schema": "core", "warehouse": "WH"},
            "credentials": {"method": "password", "user_env": "SF_USER", "password_env": "SF_PASSWORD"},
        },
        {"SF_USER": "alice", "SF_PASSWORD": "sf-pass-1"},
        {
            "account": "xy123",
            "database": "ANALYTICS",
            "schema": "core",
            "warehouse": "WH",
            "user": "alice",
            "password": "sf-pass-1",
            "authenticator": None,
        },
    ),
    "snowflake-keypair": (
        {
            "type": "snowflake",
            "properties": {"account": "xy123", "database": "D", "schema": "s", "role": "TRANSFORMER"},
            "credentials": {"method": "keypair", "user_env": "SF_USER", "private_key_path_env": "SF_KEY"},
        },
        {"SF_USER": "svc", "SF_KEY": "/secrets/rsa_key.p8"},
        {
            "user": "svc",
            "private_key_path": "/secrets/rsa_key.p8",
            "private_key_passphrase": None,
            "role": "TRANSFORMER",
        },
    ),
    "snowflake-keypair-passphrase": (
        {
            "type": "snowflake",
            "properties": {"account": "xy123", "database": "D", "schema": "s"},
            "credentials": {
                "method": "keypair",
                "user_env": "SF_USER",
                "private_key_path_env": "SF_KEY",
                "private_key_passphrase_env": "SF_KEY_PASS",
            },
        },
        {"SF_USER": "svc", "SF_KEY": "/secrets/rsa_key.p8", "SF_KEY_PASS": "phrase-1"},
        {"private_key_path": "/secrets/rsa_key.p8", "private_key_passphrase": "phrase-1"},
    ),
    "snowflake-oauth": (
        {
            "type": "snowflake",
            "properties": {"account": "xy123", "database": "D", "schema": "s"},
            "credentials": {
                "method": "oauth",
                "token_env": "SF_REFRESH",
                "client_id_env": "SF_CLIENT_ID",
                "client_secret_env": "SF_CLIENT_SECRET",
            },
        },
        {"SF_REFRESH": "refresh-1", "SF_CLIENT_ID": "cid-1", "SF_CLIENT_SECRET": "csecret-1"},
        {
            "authenticator": "oauth",
            "token": "refresh-1",
            "oauth_client_id": "cid-1",
            "oauth_client_secret": "csecret-1",
            "user": None,
        },
    ),
    "snowflake-externalbrowser": (
        {
            "type": "snowflake",
            "properties": {"account": "xy123", "database": "D", "schema": "s"},
            "credentials": {"method": "externalbrowser", "user_env": "SF_USER"},
        },
        {"SF_USER": "alice@example.com"},
        {"authenticator": "externalbrowser", "user": "alice@example.com", "password": None},
    ),
    "bigquery-oauth": (
        {
            "type": "bigquery",
            "properties": {
                "project": "proj-1",
                "dataset": "analytics",
                "location": "EU",
                "priority": "batch",
            },
            "credentials": {"method": "oauth"},
        },
        {},
        {
            "method": "oauth",
            "database": "proj-1",
            "schema": "analytics",
            "location": "EU",
            "priority": "batch",
        },
    ),
    "bigquery-service-account": (
        {
            "type": "bigquery",
            "properties": {"project": "proj-1", "dataset": "analytics", "maximum_bytes_billed": 1000000},
            "credentials": {"method": "service-account", "keyfile_env": "BQ_KEYFILE"},
        },
        {"BQ_KEYFILE": "/secrets/sa.json"},
        {"method": "service-account", "keyfile": "/secrets/sa.json", "maximum_bytes_billed": 1000000},
    ),
    "bigquery-service-account-json": (
        {
            "type": "bigquery",
            "properties": {"project": "proj-1", "dataset": "analytics"},
            "credentials": {"method": "service-account-json", "keyfile_json_env": "BQ_KEY_JSON"},
        },
        {"BQ_KEY_JSON": json.dumps(SA_JSON)},
        {"method": "service-account-json", "keyfile_json": SA_JSON},
    ),
    "redshift-database": (
        {
            "type": "redshift",
            "properties": {
                "host": "rs.example.com",
                "port_env": "RS_PORT",
                "database": "dev",
                "schema": "public",
                "sslmode": "require",
            },
            "credentials": {"method": "database", "user_env": "RS_USER", "password_env": "RS_PASSWORD"},
        },
        {"RS_PORT": "5440", "RS_USER": "etl", "RS_PASSWORD": "rs-pass-1"},
        {"host": "rs.example.com", "port": 5440, "database": "dev", "user": "etl", "password": "rs-pass-1"},
    ),
    "redshift-iam": (
        {
            "type": "redshift",
            "properties": {
                "host": "rs.example.com",
                "database": "dev",
                "schema": "public",
                "region": "eu-west-1",
            },
            "credentials": {
                "method": "iam",
                "user_env": "RS_USER",
                "cluster_id": "cluster-1",
                "iam_profile": "data",
                "access_key_id_env": "AWS_KEY_ID",
                "secret_access_key_env": "AWS_SECRET",
                "db_groups": ["analysts"],
                "autocreate": True,
            },
        },
        {"RS_USER": "etl", "AWS_KEY_ID": "AKIA000", "AWS_SECRET": "aws-secret-1"},
        {
            "method": "iam",
            "port": 5439,
            "cluster_id": "cluster-1",
            "iam_profile": "data",
            "access_key_id": "AKIA000",
            "secret_access_key": "aws-secret-1",
            "db_groups": ["analysts"],
            "autocreate": True,
            "region": "eu-west-1",
        },
    ),
    "databricks-token": (
        {
            "type": "databricks",
            "properties": {
                "host": "dbc-1.cloud.databricks.com",
                "http_path": "/sql/1.0/warehouses/abc",
                "catalog": "main",
                "schema": "analytics",
            },
            "credentials": {"method": "token", "token_env": "DBX_TOKEN"},
        },
        {"DBX_TOKEN": "dapi-token-1"},
        {
            "host": "dbc-1.cloud.databricks.com",
            "database": "main",
            "schema": "analytics",
            "token": "dapi-token-1",
        },
    ),
    "databricks-oauth-m2m": (
        {
            "type": "databricks",
            "properties": {
                "host": "dbc-1.cloud.databricks.com",
                "http_path": "/sql/x",
                "schema": "analytics",
            },
            "credentials": {
                "method": "oauth-m2m",
                "client_id_env": "DBX_ID",
                "client_secret_env": "DBX_SECRET",
            },
        },
        {"DBX_ID": "sp-id-1", "DBX_SECRET": "dose-secret-1"},
        {"auth_type": "oauth", "client_id": "sp-id-1", "client_secret": "dose-secret-1", "token": None},
    ),
    "postgres-password": (
        {
            "type": "postgres",
            "properties": {
                "host": "db.example.com",
                "port": 5433,
                "database": "warehouse",
                "schema": "analytics",
                "sslmode": "verify-full",
                "extra": {"application_name": "floe-test", "connect_timeout": 3},
            },
            "credentials": {"method": "password", "user_env": "PG_USER", "password_env": "PG_PASSWORD"},
        },
        {"PG_USER": "etl", "PG_PASSWORD": "pg-pass-1"},
        {
            "host": "db.example.com",
            "port": 5433,
            "database": "warehouse",
            "user": "etl",
            "password": "pg-pass-1",
            "sslmode": "verify-full",
            "application_name": "floe-test",  # properties.extra ...
            "connect_timeout": 3,  # ... overrides floe's default of 10 (FR-004)
        },
    ),
    "spark-thrift": (
        {
            "type": "spark",
            "properties": {"host": "spark.example.com", "schema": "analytics"},
            "credentials": {
                "method": "thrift",
                "user_env": "SPARK_USER",
                "password_env": "SPARK_PW",
                "auth": "LDAP",
            },
        },
        {"SPARK_USER": "etl", "SPARK_PW": "spark-pass-1"},
        {
            "method": "thrift",
            "host": "spark.example.com",
            "port": 10000,
            "user": "etl",
            "password": "spark-pass-1",
        },
    ),
    "spark-http": (
        {
            "type": "spark",
            "properties": {"host": "dbc-1.cloud.databricks.com", "schema": "analytics"},
            "credentials": {"method": "http", "token_env": "SPARK_TOKEN", "cluster": "0101-abc"},
        },
        {"SPARK_TOKEN": "spark-token-1"},
        {"method": "http", "port": 443, "token": "spark-token-1", "cluster": "0101-abc"},
    ),
    "spark-odbc": (
        {
            "type": "spark",
            "properties": {"host": "dbc-1.cloud.databricks.com", "port": 8443, "schema": "analytics"},
            "credentials": {
                "method": "odbc",
                "driver": "/opt/simba/spark/lib/64/libsparkodbc_sb64.so",
                "token_env": "SPARK_TOKEN",
                "endpoint": "ep-1",
            },
        },
        {"SPARK_TOKEN": "spark-token-2"},
        {"method": "odbc", "port": 8443, "token": "spark-token-2", "endpoint": "ep-1", "cluster": None},
    ),
    "spark-session": (
        {
            "type": "spark",
            "properties": {"schema": "analytics", "server_side_parameters": {"spark.driver.memory": "1g"}},
            "credentials": {"method": "session"},
        },
        {},
        {"method": "session", "schema": "analytics"},
    ),
}


def test_cases_cover_every_target_type_and_auth_method() -> None:
    covered = {(t["type"], t.get("credentials", {}).get("method", "none")) for t, _, _ in CASES.values()}
    declared = {(p.type, m) for p in REGISTRY.values() for m in p.auth_methods}
    assert covered == declared
    assert set(REGISTRY) == set(SUPPORTED_TARGET_TYPES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_dbt_loads_generated_profile(case: str, tmp_path: Path, spec_factory: Any, dbt_load: Any) -> None:
    target, env, expected = CASES[case]
    path = write_profiles(tmp_path / "profiles.yml", spec_factory({"dev": target}), "floe")

    # The file holds env var names only: no value from the environment is in it.
    text = path.read_text()
    for value in env.values():
        assert value not in text

    loaded = dbt_load(tmp_path, "floe", "dev", env)
    assert loaded.adapter_type == target["type"]
    for field, want in expected.items():
        got = loaded.threads if field == "threads" else loaded.get(field)
        if field == "extensions":
            got = list(got)
        assert got == want, f"{case}: dbt's {field} is {got!r}, expected {want!r}"


def test_duckdb_attachments_and_settings_reach_dbt(tmp_path: Path, spec_factory: Any, dbt_load: Any) -> None:
    target, env, _ = CASES["duckdb-none"]
    write_profiles(tmp_path / "profiles.yml", spec_factory({"dev": target}), "floe")
    creds = dbt_load(tmp_path, "floe", "dev", env).credentials
    assert creds.settings["memory_limit"] == "1GB"
    assert [(a.path, a.alias, a.read_only) for a in creds.attach] == [("other.duckdb", "other", True)]


def test_all_targets_become_outputs_of_one_profile(tmp_path: Path, spec_factory: Any, dbt_load: Any) -> None:
    """User story 5: dev and prod side by side, each reading its own environment variables."""
    dev = CASES["duckdb-none"][0]
    prod = {
        "type": "snowflake",
        "properties": {"account": "prod1", "database": "PROD", "schema": "core"},
        "credentials": {"method": "password", "user_env": "PROD_USER", "password_env": "PROD_PASSWORD"},
    }
    staging = {
        "type": "snowflake",
        "properties": {"account": "stg1", "database": "STG", "schema": "core"},
        "credentials": {"method": "password", "user_env": "STG_USER", "password_env": "STG_PASSWORD"},
    }
    spec = spec_factory({"dev": dev, "staging": staging, "prod": prod}, default="staging")
    write_profiles(tmp_path / "profiles.yml", spec, "shop")
    raw = yaml.safe_load((tmp_path / "profiles.yml").read_text())
    assert raw["shop"]["target"] == "staging"
    assert sorted(raw["shop"]["outputs"]) == ["dev", "prod", "staging"]

    env = {"PROD_USER": "p", "PROD_PASSWORD": "prod-pw", "STG_USER": "s", "STG_PASSWORD": "stg-pw"}
    prod_creds = dbt_load(tmp_path, "shop", "prod", env)
    stg_creds = dbt_load(tmp_path, "shop", "staging", env)
    assert (prod_creds.get("account"), prod_creds.get("password")) == ("prod1", "prod-pw")
    assert (stg_creds.get("account"), stg_creds.get("password")) == ("stg1", "stg-pw")
    assert dbt_load(tmp_path, "shop", "dev", env).adapter_type == "duckdb"


def test_rewriting_profiles_replaces_the_file(tmp_path: Path, spec_factory: Any) -> None:
    path = tmp_path / "p" / "profiles.yml"
    write_profiles(path, spec_factory({"dev": CASES["duckdb-none"][0]}), "one")
    write_profiles(path, spec_factory({"dev": CASES["bigquery-oauth"][0]}), "two")
    raw = yaml.safe_load(path.read_text())
    assert list(raw) == ["two"]
    assert raw["two"]["outputs"]["dev"]["type"] == "bigquery"
    assert [p.name for p in path.parent.iterdir()] == ["profiles.yml"]  # no temp file left behind
