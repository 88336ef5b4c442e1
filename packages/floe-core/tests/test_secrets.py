"""Secrets never appear in an error message (issue 16, item 3): `is_secret_name`, masking of values that
came from secret-looking variables (in the value *and* the message text), `*_env` fields shown by shape."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from floe_core.secrets import Hidden, is_secret_name, may_hold_secret, scrub

if TYPE_CHECKING:
    from conftest import Validation

HEAD = """\
name: demo
version: "1.0"
compute:
  default: dev
  targets:
    dev: {type: duckdb}
"""
SECRET = "S3cr3t-Value-9f2c"


@pytest.mark.parametrize(
    "name",
    [
        "DB_PASSWORD", "PGPASSWORD", "DB_PASS", "MYSQL_PWD", "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", "API_KEY",
        "APIKEY", "openai_api_key", "AWS_SECRET_ACCESS_KEY", "GCP_CREDS", "AZURE_CREDENTIALS",
        "GITHUB_TOKEN", "X_AUTH", "OAUTH_CLIENT", "WEBHOOK_SIGNATURE", "TLS_CERT",
        "SENTRY_DSN", "DB_CONNECTION_STRING", "JWT", "HMAC_SALT", "Bearer",
    ],
)  # fmt: skip
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    ["FLOE_TARGET", "DBT_THREADS", "SNOWFLAKE_USER", "OPENLINEAGE_URL", "REGION", "HOST", "SCHEDULES_ON"],
)
def test_ordinary_names(name: str) -> None:
    assert not is_secret_name(name)
    assert not may_hold_secret(name)


@pytest.mark.parametrize("name", ["SESSION_ID", "AUTHOR_TOKEN_FILE", "MY_KEYRING", "SNOWFLAKE_KEY_PATH"])
def test_names_whose_values_are_hidden_though_not_refused(name: str) -> None:
    assert may_hold_secret(name) and not is_secret_name(name)


def test_scrub_hides_every_form_of_the_secret() -> None:
    secret = "it's\\sec"  # a quote and a backslash: repr() escapes the backslash, quotes it with "
    both_quotes = secret + '"'
    text = f"a {secret} b {secret!r} c {[secret]} d {both_quotes!r}"
    assert scrub(text, [secret, ""]) == 'a *** b "***" c ["***"] d \'***"\''
    assert scrub("nothing to hide", ["", "x" * 3]) == "nothing to hide"


def test_hidden_shows_only_the_shape() -> None:
    assert repr(Hidden(SECRET)) == f"<hidden: {len(SECRET)} characters>"
    assert repr(Hidden(1234)) == "<hidden: a number>"


def test_secret_pasted_into_an_env_field_is_not_echoed(validate: Callable[..., Validation]) -> None:
    run = validate(
        HEAD
        + "    prod:\n"
        + "      type: postgres\n"
        + "      properties: {host: h, port: 5432, database: d, schema: s}\n"
        + f"      credentials: {{method: password, user_env: PG_USER, password_env: '{SECRET}'}}\n"  # line 10
    )
    assert SECRET not in run.stderr
    assert run.problems == [
        f"{run.config}:10: compute.targets.prod.credentials.password_env: expected the NAME of an environment"
        " variable (letters, digits and _, not starting with a digit), never the secret itself"
        f" (got <hidden: {len(SECRET)} characters>)"
    ]


def test_a_reference_in_an_env_field_gets_a_hint_and_no_value(validate: Callable[..., Validation]) -> None:
    run = validate(
        HEAD
        + "    md: {type: duckdb, credentials: {method: motherduck, token_env: '${MOTHERDUCK_TOKEN}'}}\n",
        MOTHERDUCK_TOKEN=SECRET,
    )
    assert SECRET not in run.stderr
    assert run.line_for("compute.targets.md.credentials.token_env").endswith(
        "never the secret itself (value from $MOTHERDUCK_TOKEN); write the variable's name itself"
        f" (token_env: MOTHERDUCK_TOKEN), not a ${{...}} (got <hidden: {len(SECRET)} characters>)"
    )


def test_secret_value_is_masked_in_the_message_text_too(validate: Callable[..., Validation]) -> None:
    # the granularity check quotes the cron in its message (at the partition, a parent of the value)
    run = validate(
        HEAD
        + "orchestration:\n"
        + "  partitions:\n"
        + "    d: {type: time_window, start: 2024-01-01, cron: '${SCHED_TOKEN}'}\n",  # line 9
        SCHED_TOKEN="0 * * * *",
    )
    assert "0 * * * *" not in run.stderr
    assert run.problems == [
        f"{run.config}:9: orchestration.partitions.d: cron '***' produces hourly windows but granularity is"
        " 'daily': use a daily cron such as '0 0 * * *'"
    ]


@pytest.mark.parametrize("variable", ["SCHED_TOKEN", "DB_PASS", "SMTP_CREDS", "MY_PWD"])
def test_value_from_a_secret_variable_is_masked(validate: Callable[..., Validation], variable: str) -> None:
    run = validate(
        HEAD
        + "orchestration:\n"
        + "  jobs: {j: {type: batch, groups: [g]}}\n"
        + f"  schedules: {{s: {{job: j, cron: '${{{variable}}}'}}}}\n",  # line 9
        **{variable: SECRET},
    )
    assert SECRET not in run.stderr
    assert run.problems == [
        f"{run.config}:9: orchestration.schedules.s.cron: cron expression has 1 field; Dagster needs exactly"
        " 5 (no seconds or year field): 'minute hour day-of-month month day-of-week', e.g. '0 2 * * *'"
        f" (value from ${variable}) (got '***')"
    ]


def test_secret_inside_a_longer_value_is_masked_where_another_problem_quotes_it(
    validate: Callable[..., Validation],
) -> None:
    run = validate(
        HEAD
        + "orchestration:\n"
        + "  jobs: {j: {type: batch, groups: [g]}}\n"
        + "  schedules: {s: {job: 'j_${API_KEY}', cron: '@daily'}}\n",  # line 9
        API_KEY=SECRET,
    )
    assert SECRET not in run.stderr
    assert "orchestration.schedules.s.job:" in run.stderr
    assert "'j_***'" in run.stderr


def test_the_predicate_is_exported_for_other_packages() -> None:
    import floe_core

    assert floe_core.is_secret_name is is_secret_name


def test_extra_options_with_secret_names_are_refused(validate: Callable[..., Validation]) -> None:
    run = validate(
        HEAD.replace(
            "dev: {type: duckdb}", "dev: {type: duckdb, properties: {extra: {db_pass: x, s3_api_key: y}}}"
        )
    )
    assert run.line_for("compute.targets.dev.properties.extra").endswith(
        "compute.targets.dev.properties.extra: db_pass, s3_api_key would hold a secret in plain text: set it"
        " through the target's `credentials` as an environment variable name (`*_env`)"
    )
