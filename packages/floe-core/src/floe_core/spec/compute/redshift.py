"""`type: redshift` — database user/password or IAM (temporary credentials)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, Tag, model_validator

from floe_core.spec.base import FloeModel
from floe_core.spec.compute._common import EnvVarName, TargetProperties, choose_by

_USER = "Environment variable holding the database user name"
SslMode = Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]


class RedshiftProperties(TargetProperties):
    """Redshift connection settings."""

    host: str = Field(description="Cluster or workgroup endpoint host name")
    port: int = Field(default=5439, ge=1, le=65535, description="Port")
    port_env: EnvVarName | None = Field(
        default=None, description="Environment variable holding the port (overrides `port` at run time)"
    )
    database: str = Field(description="Database dbt builds into")
    schema_: str = Field(alias="schema", description="Default schema for dbt models")
    sslmode: SslMode | None = Field(default=None, description="SSL mode; default: the adapter's (prefer)")
    region: str | None = Field(default=None, description="AWS region, e.g. eu-west-1")
    ra3_node: bool | None = Field(default=None, description="Cluster has RA3 nodes (cross-database reads)")
    connect_timeout: int | None = Field(default=None, ge=1, description="Seconds to wait for a connection")


class RedshiftPassword(FloeModel):
    """Database user and password."""

    method: Literal["database"] = Field(description="Database user and password")
    user_env: EnvVarName = Field(description=_USER)
    password_env: EnvVarName = Field(description="Environment variable holding the password")


class RedshiftIAM(FloeModel):
    """IAM: dbt fetches temporary database credentials from AWS."""

    method: Literal["iam"] = Field(description="IAM temporary credentials")
    user_env: EnvVarName = Field(description=_USER)
    cluster_id: str | None = Field(default=None, description="Provisioned cluster identifier")
    iam_profile: str | None = Field(default=None, description="AWS profile (~/.aws) to use")
    access_key_id_env: EnvVarName | None = Field(
        default=None, description="Environment variable holding an AWS access key id"
    )
    secret_access_key_env: EnvVarName | None = Field(
        default=None, description="Environment variable holding the AWS secret access key"
    )
    db_groups: list[str] = Field(default_factory=list, description="Database groups to join")
    autocreate: bool = Field(default=False, description="Create the database user if missing")

    @model_validator(mode="after")
    def _key_pair_complete(self) -> RedshiftIAM:
        if (self.access_key_id_env is None) != (self.secret_access_key_env is None):
            raise ValueError("access_key_id_env and secret_access_key_env must be set together")
        return self


RedshiftCredentials = Annotated[
    Annotated[RedshiftPassword, Tag("database")] | Annotated[RedshiftIAM, Tag("iam")],
    choose_by("method", "database", "iam"),
]


class RedshiftTarget(FloeModel):
    """An Amazon Redshift target (dbt-redshift)."""

    type: Literal["redshift"] = Field(description="Target type")
    properties: RedshiftProperties = Field(description="Connection settings")
    credentials: RedshiftCredentials = Field(description="method: database | iam")
