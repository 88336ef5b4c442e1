"""Snowflake (dbt-snowflake): password, key pair (optional passphrase), OAuth, external browser."""

from __future__ import annotations

from floe_core.spec.compute.snowflake import (
    SnowflakeKeyPair,
    SnowflakeOAuth,
    SnowflakePassword,
    SnowflakeTarget,
)

from floe_dbt.profiles._base import DbtOutput, LocalPaths, ProfileValue, TargetProfile, env_ref, output


def _auth(target: SnowflakeTarget) -> dict[str, ProfileValue | None]:
    c = target.credentials
    if isinstance(c, SnowflakePassword):
        return {"user": env_ref(c.user_env), "password": env_ref(c.password_env)}
    if isinstance(c, SnowflakeKeyPair):
        passphrase = c.private_key_passphrase_env
        return {
            "user": env_ref(c.user_env),
            "private_key_path": env_ref(c.private_key_path_env),
            "private_key_passphrase": env_ref(passphrase) if passphrase else None,
        }
    if isinstance(c, SnowflakeOAuth):
        return {
            "authenticator": "oauth",
            "user": env_ref(c.user_env) if c.user_env else None,
            "token": env_ref(c.token_env),
            "oauth_client_id": env_ref(c.client_id_env),
            "oauth_client_secret": env_ref(c.client_secret_env),
        }
    return {"authenticator": "externalbrowser", "user": env_ref(c.user_env)}


def to_output(target: SnowflakeTarget) -> DbtOutput:
    p = target.properties
    return output(
        "snowflake",
        p,
        {
            "account": p.account,
            "database": p.database,
            "schema": p.schema_,
            "warehouse": p.warehouse,
            "role": p.role,
            "query_tag": p.query_tag,
            "client_session_keep_alive": p.client_session_keep_alive,
            "connect_retries": p.connect_retries,
            "connect_timeout": p.connect_timeout,
            **_auth(target),
        },
    )


def lineage_namespace(target: SnowflakeTarget, _paths: LocalPaths) -> str:
    """The naming spec's `snowflake://<org>-<account>`, lower case; a legacy locator (xy123.eu-west-1) is
    kept as given."""
    account = target.properties.account.lower().removesuffix(".snowflakecomputing.com")
    return f"snowflake://{account.replace('_', '-') if '.' not in account else account}"


PROFILE = TargetProfile[SnowflakeTarget](
    type="snowflake",
    adapter_package="dbt-snowflake",
    required_fields=("account", "database", "schema"),
    secret_fields=("password", "private_key_passphrase", "token", "oauth_client_secret"),
    auth_methods=("password", "keypair", "oauth", "externalbrowser"),
    render=to_output,
    lineage_namespace=lineage_namespace,
    sql_dialect="snowflake",
)
