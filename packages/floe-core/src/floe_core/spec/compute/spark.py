"""`type: spark` — Thrift server, HTTP (Databricks interactive clusters), ODBC, or an in-process session."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, Tag, model_validator

from floe_core.spec.base import FloeModel
from floe_core.spec.compute._common import EnvVarName, TargetProperties, choose_by


class SparkProperties(TargetProperties):
    """Spark connection settings."""

    host: str | None = Field(
        default=None, description="Server host name; required except for `method: session`"
    )
    port: int | None = Field(
        default=None, ge=1, le=65535, description="Port; default 10000 for thrift, 443 for http and odbc"
    )
    schema_: str = Field(alias="schema", description="Default schema (Spark database) for dbt models")
    connect_retries: int = Field(default=0, ge=0, description="Connection attempts after a failure")
    connect_timeout: int = Field(default=10, ge=1, description="Seconds to wait for a connection")
    server_side_parameters: dict[str, str] = Field(
        default_factory=dict, description="Spark configuration set on every session"
    )


class SparkThrift(FloeModel):
    """A Spark Thrift server (HiveServer2 protocol)."""

    method: Literal["thrift"] = Field(description="Thrift (HiveServer2)")
    user_env: EnvVarName | None = Field(default=None, description="Environment variable holding the user")
    password_env: EnvVarName | None = Field(
        default=None, description="Environment variable holding the password (auth LDAP/CUSTOM)"
    )
    auth: Literal["NONE", "NOSASL", "LDAP", "KERBEROS", "CUSTOM"] | None = Field(
        default=None, description="SASL mechanism; default: NONE"
    )
    kerberos_service_name: str | None = Field(default=None, description="Kerberos service (auth KERBEROS)")
    use_ssl: bool = Field(default=False, description="Connect over TLS")


class SparkHttp(FloeModel):
    """HTTP(S) with a token, e.g. a Databricks interactive cluster."""

    method: Literal["http"] = Field(description="HTTP with a token")
    token_env: EnvVarName = Field(description="Environment variable holding the token")
    cluster: str = Field(description="Cluster id")
    organization: str = Field(default="0", description="Workspace (organization) id, Azure only")


class SparkOdbc(FloeModel):
    """ODBC (Simba Spark driver) to a cluster or SQL endpoint, authenticating with a token."""

    method: Literal["odbc"] = Field(description="ODBC driver with a token")
    driver: str = Field(description="ODBC driver name or path to the driver library")
    token_env: EnvVarName = Field(description="Environment variable holding the token")
    cluster: str | None = Field(default=None, description="Cluster id (or endpoint)")
    endpoint: str | None = Field(default=None, description="SQL endpoint id (or cluster)")
    organization: str = Field(default="0", description="Workspace (organization) id, Azure only")

    @model_validator(mode="after")
    def _cluster_xor_endpoint(self) -> SparkOdbc:
        if (self.cluster is None) == (self.endpoint is None):
            raise ValueError("set exactly one of `cluster` or `endpoint`")
        return self


class SparkSession(FloeModel):
    """An in-process PySpark session (dbt-spark[session]); no server, no credentials."""

    method: Literal["session"] = Field(description="In-process PySpark session")


SparkCredentials = Annotated[
    Annotated[SparkThrift, Tag("thrift")]
    | Annotated[SparkHttp, Tag("http")]
    | Annotated[SparkOdbc, Tag("odbc")]
    | Annotated[SparkSession, Tag("session")],
    choose_by("method", "thrift", "http", "odbc", "session"),
]


class SparkTarget(FloeModel):
    """An Apache Spark target (dbt-spark)."""

    type: Literal["spark"] = Field(description="Target type")
    properties: SparkProperties = Field(description="Connection settings")
    credentials: SparkCredentials = Field(description="method: thrift | http | odbc | session")

    @model_validator(mode="after")
    def _host_unless_session(self) -> SparkTarget:
        if self.credentials.method != "session" and self.properties.host is None:
            raise ValueError(f"properties.host is required for method {self.credentials.method}")
        return self
