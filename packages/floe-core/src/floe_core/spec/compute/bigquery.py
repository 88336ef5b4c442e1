"""`type: bigquery` — gcloud OAuth, a service-account key file, or the key JSON itself from env."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, Tag

from floe_core.spec.base import FloeModel
from floe_core.spec.compute._common import EnvVarName, TargetProperties, choose_by


class BigQueryProperties(TargetProperties):
    """BigQuery connection settings."""

    project: str = Field(description="GCP project dbt builds into")
    dataset: str = Field(description="Default dataset for dbt models")
    location: str | None = Field(default=None, description="Dataset location, e.g. EU or us-central1")
    execution_project: str | None = Field(default=None, description="Project billed for queries")
    priority: Literal["interactive", "batch"] | None = Field(default=None, description="Query priority")
    maximum_bytes_billed: int | None = Field(default=None, ge=1, description="Fail queries scanning more")
    job_execution_timeout_seconds: int | None = Field(default=None, ge=1, description="Query timeout")
    job_retries: int | None = Field(default=None, ge=0, description="Retries of a failed query job")
    impersonate_service_account: str | None = Field(
        default=None, description="Service account e-mail to impersonate"
    )


class BigQueryOAuth(FloeModel):
    """Application-default credentials (`gcloud auth application-default login`)."""

    method: Literal["oauth"] = Field(description="gcloud application-default credentials")


class BigQueryServiceAccount(FloeModel):
    """A service-account key file on disk."""

    method: Literal["service-account"] = Field(description="Service-account key file")
    keyfile_env: EnvVarName = Field(description="Environment variable holding the key file path")


class BigQueryServiceAccountJson(FloeModel):
    """The service-account key JSON itself, from an environment variable."""

    method: Literal["service-account-json"] = Field(description="Service-account key JSON from env")
    keyfile_json_env: EnvVarName = Field(description="Environment variable holding the key file's JSON")


BigQueryCredentials = Annotated[
    Annotated[BigQueryOAuth, Tag("oauth")]
    | Annotated[BigQueryServiceAccount, Tag("service-account")]
    | Annotated[BigQueryServiceAccountJson, Tag("service-account-json")],
    choose_by("method", "oauth", "service-account", "service-account-json"),
]


class BigQueryTarget(FloeModel):
    """A BigQuery target (dbt-bigquery)."""

    type: Literal["bigquery"] = Field(description="Target type")
    properties: BigQueryProperties = Field(description="Connection settings")
    credentials: BigQueryCredentials = Field(
        description="method: oauth | service-account | service-account-json"
    )
