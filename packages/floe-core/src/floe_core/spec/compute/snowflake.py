"""`type: snowflake` — password, key pair (with or without passphrase), OAuth or external browser."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, Tag

from floe_core.spec.base import FloeModel
from floe_core.spec.compute._common import EnvVarName, TargetProperties, choose_by

_USER = "Environment variable holding the Snowflake user name"


class SnowflakeProperties(TargetProperties):
    """Snowflake connection settings."""

    account: str = Field(description="Account identifier, e.g. xy12345.eu-central-1")
    database: str = Field(description="Database dbt builds into")
    schema_: str = Field(alias="schema", description="Default schema for dbt models")
    warehouse: str | None = Field(default=None, description="Virtual warehouse; default: the user's")
    role: str | None = Field(default=None, description="Role; default: the user's default role")
    query_tag: str | None = Field(default=None, description="QUERY_TAG set on every dbt session")
    client_session_keep_alive: bool = Field(default=False, description="Keep idle sessions alive")
    connect_retries: int = Field(default=1, ge=0, description="Connection attempts after a failure")
    connect_timeout: int | None = Field(default=None, ge=1, description="Seconds to wait for a connection")


class SnowflakePassword(FloeModel):
    """User name and password."""

    method: Literal["password"] = Field(description="User name and password")
    user_env: EnvVarName = Field(description=_USER)
    password_env: EnvVarName = Field(description="Environment variable holding the password")


class SnowflakeKeyPair(FloeModel):
    """Key pair: a private key file, optionally encrypted with a passphrase."""

    method: Literal["keypair"] = Field(description="Key-pair authentication")
    user_env: EnvVarName = Field(description=_USER)
    private_key_path_env: EnvVarName = Field(description="Environment variable holding the key file path")
    private_key_passphrase_env: EnvVarName | None = Field(
        default=None, description="Environment variable holding the key's passphrase, if it is encrypted"
    )


class SnowflakeOAuth(FloeModel):
    """OAuth with a refresh token and the security integration's client id/secret."""

    method: Literal["oauth"] = Field(description="OAuth (refresh token)")
    user_env: EnvVarName | None = Field(default=None, description=_USER + " (optional for OAuth)")
    token_env: EnvVarName = Field(description="Environment variable holding the OAuth refresh token")
    client_id_env: EnvVarName = Field(description="Environment variable holding the OAuth client id")
    client_secret_env: EnvVarName = Field(description="Environment variable holding the OAuth client secret")


class SnowflakeExternalBrowser(FloeModel):
    """SSO in a browser window (interactive: for developers, not schedulers)."""

    method: Literal["externalbrowser"] = Field(description="SSO through the system browser")
    user_env: EnvVarName = Field(description=_USER)


SnowflakeCredentials = Annotated[
    Annotated[SnowflakePassword, Tag("password")]
    | Annotated[SnowflakeKeyPair, Tag("keypair")]
    | Annotated[SnowflakeOAuth, Tag("oauth")]
    | Annotated[SnowflakeExternalBrowser, Tag("externalbrowser")],
    choose_by("method", "password", "keypair", "oauth", "externalbrowser"),
]


class SnowflakeTarget(FloeModel):
    """A Snowflake target (dbt-snowflake)."""

    type: Literal["snowflake"] = Field(description="Target type")
    properties: SnowflakeProperties = Field(description="Connection settings")
    credentials: SnowflakeCredentials = Field(
        description="method: password | keypair | oauth | externalbrowser"
    )
