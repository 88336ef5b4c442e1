"""Bad compute config: unsupported type, missing field, wrong auth method, literal secrets — each
rejected with a message that names the place and lists what is accepted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from floe_core.errors import FloeError
from floe_core.spec.compute import PostgresTarget, SnowflakeTarget
from floe_dbt.profiles import (
    REGISTRY,
    env_vars_referenced,
    profile_for,
    render_output,
    render_profiles,
    write_profiles,
)
from pydantic import ValidationError

SNOWFLAKE = {
    "type": "snowflake",
    "properties": {"account": "xy123", "database": "D", "schema": "s"},
    "credentials": {"method": "password", "user_env": "SF_USER", "password_env": "SF_PASSWORD"},
}


def _errors(spec_factory: Any, target: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as info:
        spec_factory({"dev": target})
    return str(info.value)


def test_unknown_target_type_lists_supported(spec_factory: Any) -> None:
    text = _errors(spec_factory, {"type": "oracle", "properties": {}})
    assert "compute.targets.dev" in text
    assert "`type` must be one of: duckdb, snowflake, bigquery, redshift, databricks, postgres, spark" in text


def test_missing_target_type_lists_supported(spec_factory: Any) -> None:
    assert "`type` must be one of: duckdb" in _errors(spec_factory, {"properties": {}})


def test_wrong_auth_method_lists_methods(spec_factory: Any) -> None:
    bad = {**SNOWFLAKE, "credentials": {"method": "sso", "user_env": "U"}}
    text = _errors(spec_factory, bad)
    assert "`method` must be one of: password, keypair, oauth, externalbrowser" in text


def test_missing_required_property_is_named(spec_factory: Any) -> None:
    bad = {**SNOWFLAKE, "properties": {"database": "D", "schema": "s"}}
    text = _errors(spec_factory, bad)
    assert "properties.account" in text
    assert "Field required" in text


def test_missing_secret_env_name_is_named(spec_factory: Any) -> None:
    bad = {**SNOWFLAKE, "credentials": {"method": "password", "user_env": "SF_USER"}}
    assert "password_env" in _errors(spec_factory, bad)


def test_secret_value_instead_of_env_name_is_rejected(spec_factory: Any) -> None:
    bad = {**SNOWFLAKE, "credentials": {"method": "password", "user_env": "U", "password_env": "hunter2!"}}
    assert "expected the NAME of an environment variable" in _errors(spec_factory, bad)


@pytest.mark.parametrize("key", ["password", "token", "private_key_passphrase"])
def test_secret_in_extra_is_rejected(spec_factory: Any, key: str) -> None:
    bad = {**SNOWFLAKE, "properties": {**SNOWFLAKE["properties"], "extra": {key: "x"}}}
    text = _errors(spec_factory, bad)
    assert f"{key} would hold a secret in plain text" in text


def test_extra_cannot_change_type(spec_factory: Any) -> None:
    bad = {**SNOWFLAKE, "properties": {**SNOWFLAKE["properties"], "extra": {"type": "postgres"}}}
    assert "`type` cannot be overridden" in _errors(spec_factory, bad)


def test_default_must_name_a_target(spec_factory: Any) -> None:
    with pytest.raises(ValidationError) as info:
        spec_factory({"dev": SNOWFLAKE}, default="prod")
    assert "compute.default" in str(info.value)
    assert "expected one of the targets: dev" in str(info.value)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            {
                "type": "spark",
                "properties": {"schema": "s"},
                "credentials": {"method": "http", "token_env": "T", "cluster": "c"},
            },
            "properties.host is required for method http",
        ),
        (
            {
                "type": "spark",
                "properties": {"host": "h", "schema": "s"},
                "credentials": {"method": "odbc", "driver": "d", "token_env": "T"},
            },
            "set exactly one of `cluster` or `endpoint`",
        ),
        (
            {
                "type": "redshift",
                "properties": {"host": "h", "database": "d", "schema": "s"},
                "credentials": {"method": "iam", "user_env": "U", "access_key_id_env": "K"},
            },
            "access_key_id_env and secret_access_key_env must be set together",
        ),
    ],
)
def test_cross_field_rules(spec_factory: Any, target: dict[str, Any], message: str) -> None:
    assert message in _errors(spec_factory, target)


def test_unregistered_type_is_a_floe_error_listing_supported() -> None:
    with pytest.raises(
        FloeError, match=r"unsupported compute target type 'oracle'; supported: duckdb, snowflake"
    ):
        profile_for("oracle", "compute.targets.dev")
    # A target model floe-core knows but floe-dbt would not (bypassing validation to simulate it).
    odd = PostgresTarget.model_construct(type="oracle")  # type: ignore[arg-type]
    with pytest.raises(FloeError, match=r"compute.targets.x: unsupported compute target type 'oracle'"):
        render_output("x", odd)  # type: ignore[arg-type]


def test_missing_required_output_field_is_named() -> None:
    valid = SnowflakeTarget.model_validate(SNOWFLAKE)
    # model_construct skips validation: the render-time check is the last line of defence.
    no_account = valid.model_copy(update={"properties": valid.properties.model_copy(update={"account": ""})})
    with pytest.raises(FloeError) as info:
        render_output("prod", no_account)
    assert "compute.targets.prod: snowflake target is missing required field(s) account" in str(info.value)
    assert "required for snowflake: account, database, schema" in str(info.value)


def test_literal_secret_in_output_is_refused() -> None:
    valid = SnowflakeTarget.model_validate(SNOWFLAKE)
    leaky = valid.model_copy(
        update={"properties": valid.properties.model_copy(update={"extra": {"password": "hunter2"}})}
    )
    with pytest.raises(
        FloeError, match=r"compute.targets.dev: password must come from an environment variable"
    ):
        render_output("dev", leaky)


def test_registry_declares_what_the_models_accept() -> None:
    assert REGISTRY["snowflake"].adapter_package == "dbt-snowflake"
    assert REGISTRY["postgres"].auth_methods == ("password",)
    assert all(p.required_fields and p.render for p in REGISTRY.values())


def test_env_vars_referenced_marks_numbers(spec_factory: Any) -> None:
    spec = spec_factory(
        {
            "dev": {
                "type": "postgres",
                "properties": {"database": "d", "schema": "s", "port_env": "PGPORT"},
                "credentials": {"method": "password", "user_env": "PGUSER", "password_env": "PGPASSWORD"},
            }
        }
    )
    out = render_output("dev", spec.compute.targets["dev"])
    assert out["port"] == "{{ env_var('PGPORT') | as_number }}"
    assert env_vars_referenced(out) == {"PGPORT": True, "PGUSER": False, "PGPASSWORD": False}


def test_render_profiles_shape(spec_factory: Any, tmp_path: Path) -> None:
    spec = spec_factory({"dev": {"type": "duckdb"}})
    assert render_profiles(spec, "p") == {
        "p": {
            "target": "dev",
            "outputs": {"dev": {"type": "duckdb", "threads": 4, "path": ":memory:", "schema": "main"}},
        }
    }
    text = write_profiles(tmp_path / "profiles.yml", spec, "p").read_text()
    assert text.startswith("# Generated by floe")


def test_env_vars_referenced_walks_lists_and_mappings(spec_factory: Any) -> None:
    spec = spec_factory(
        {
            "dev": {
                "type": "duckdb",
                "properties": {"extensions": ["httpfs"], "attach": [{"path": "a.duckdb"}]},
                "credentials": {"method": "motherduck", "token_env": "MD_TOKEN"},
            }
        }
    )
    out = render_output("dev", spec.compute.targets["dev"])
    assert out["extensions"] == ["httpfs"] and out["attach"] == [{"path": "a.duckdb", "read_only": False}]
    assert env_vars_referenced(out) == {"MD_TOKEN": False}
