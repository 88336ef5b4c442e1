"""`type: postgres` — user and password from env, SSL mode as a property."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from floe_core.spec.base import FloeModel
from floe_core.spec.compute._common import EnvVarName, TargetProperties

SslMode = Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]


class PostgresProperties(TargetProperties):
    """PostgreSQL connection settings."""

    host: str = Field(default="localhost", description="Server host name")
    port: int = Field(default=5432, ge=1, le=65535, description="Port")
    port_env: EnvVarName | None = Field(
        default=None, description="Environment variable holding the port (overrides `port` at run time)"
    )
    database: str = Field(description="Database dbt builds into")
    schema_: str = Field(alias="schema", description="Default schema for dbt models")
    sslmode: SslMode | None = Field(default=None, description="libpq SSL mode; default: libpq's (prefer)")
    sslrootcert: str | None = Field(default=None, description="CA certificate file for verify-ca/verify-full")
    role: str | None = Field(default=None, description="Role to SET after connecting")
    search_path: str | None = Field(default=None, description="search_path for dbt's sessions")
    connect_timeout: int = Field(default=10, ge=1, description="Seconds to wait for a connection")
    keepalives_idle: int | None = Field(default=None, ge=0, description="TCP keepalive idle seconds")


class PostgresPassword(FloeModel):
    """User and password (use an empty variable for trust/peer auth)."""

    method: Literal["password"] = Field(description="User and password")
    user_env: EnvVarName = Field(description="Environment variable holding the user name")
    password_env: EnvVarName = Field(description="Environment variable holding the password")


# One method today; a wrong `method` is still reported with the accepted value ("Input should be 'password'").
PostgresCredentials = PostgresPassword


class PostgresTarget(FloeModel):
    """A PostgreSQL target (dbt-postgres)."""

    type: Literal["postgres"] = Field(description="Target type")
    properties: PostgresProperties = Field(description="Connection settings")
    credentials: PostgresCredentials = Field(description="method: password")
