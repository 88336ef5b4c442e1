"""`type: databricks` — personal access token or OAuth machine-to-machine (service principal)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, Tag

from floe_core.spec.base import FloeModel
from floe_core.spec.compute._common import EnvVarName, TargetProperties, choose_by


class DatabricksProperties(TargetProperties):
    """Databricks SQL warehouse / cluster connection settings."""

    host: str = Field(description="Workspace host, e.g. dbc-a1b2c3d4-e5f6.cloud.databricks.com")
    http_path: str = Field(description="HTTP path of the SQL warehouse or cluster")
    catalog: str | None = Field(default=None, description="Unity Catalog catalog; default: hive_metastore")
    schema_: str = Field(alias="schema", description="Default schema for dbt models")
    connect_retries: int = Field(default=1, ge=0, description="Connection attempts after a failure")
    connect_timeout: int | None = Field(default=None, ge=1, description="Seconds to wait for a connection")
    session_properties: dict[str, str | int | bool] = Field(
        default_factory=dict, description="Spark session properties set on every connection"
    )


class DatabricksToken(FloeModel):
    """Personal access token."""

    method: Literal["token"] = Field(description="Personal access token")
    token_env: EnvVarName = Field(description="Environment variable holding the access token")


class DatabricksOAuthM2M(FloeModel):
    """OAuth machine-to-machine with a service principal's client id and secret."""

    method: Literal["oauth-m2m"] = Field(description="OAuth M2M (service principal)")
    client_id_env: EnvVarName = Field(description="Environment variable holding the OAuth client id")
    client_secret_env: EnvVarName = Field(description="Environment variable holding the OAuth client secret")


DatabricksCredentials = Annotated[
    Annotated[DatabricksToken, Tag("token")] | Annotated[DatabricksOAuthM2M, Tag("oauth-m2m")],
    choose_by("method", "token", "oauth-m2m"),
]


class DatabricksTarget(FloeModel):
    """A Databricks target (dbt-databricks)."""

    type: Literal["databricks"] = Field(description="Target type")
    properties: DatabricksProperties = Field(description="Connection settings")
    credentials: DatabricksCredentials = Field(description="method: token | oauth-m2m")
