"""`observability:` — OpenLineage lineage events and OpenTelemetry traces around every materialization.

Nothing here connects anywhere: with no `lineage.url` / `traces.endpoint` (and no OPENLINEAGE_URL /
OTEL_EXPORTER_OTLP_ENDPOINT in the environment) floe makes no network call at all (standalone mode).
Secrets are never written here: an API key is referenced by the *name* of its environment variable.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from floe_core.spec.base import FloeModel

_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class LineageConfig(FloeModel):
    """`observability.lineage`: where OpenLineage run events go."""

    enabled: bool = Field(
        default=True, description="emit OpenLineage events (OPENLINEAGE_DISABLED=true wins)"
    )
    transport: Literal["http", "console", "file"] = Field(
        default="http", description="http: POST to url+endpoint; console: log lines; file: JSON lines file"
    )
    url: str | None = Field(
        default=None,
        description="base URL of the lineage backend, e.g. http://marquez:5000; default: $OPENLINEAGE_URL",
    )
    endpoint: str | None = Field(
        default=None, description="path appended to url; default: $OPENLINEAGE_ENDPOINT or api/v1/lineage"
    )
    namespace: str | None = Field(
        default=None, description="job namespace; default: $OPENLINEAGE_NAMESPACE or the project name"
    )
    file_path: str | None = Field(
        default=None, description="file transport: JSON-lines file, relative to floe.yaml"
    )
    api_key_env: str | None = Field(
        default=None,
        pattern=_ENV_NAME,
        description="NAME of the env var holding a bearer API key (default: OPENLINEAGE_API_KEY if set)",
    )
    timeout_seconds: float = Field(default=5.0, gt=0, le=300, description="per-request timeout")
    flush_timeout_seconds: float = Field(
        default=2.0, ge=0, le=300, description="longest a step waits at its end for queued events"
    )
    queue_size: int = Field(
        default=1000, ge=1, le=1_000_000, description="events buffered in memory; beyond it they are dropped"
    )

    @field_validator("endpoint")
    @classmethod
    def _endpoint_is_a_path(cls, value: str | None) -> str | None:
        # traces.endpoint is a URL, lineage.endpoint a path joined to lineage.url: a URL here would send every
        # event to the backend's root instead of its lineage API
        if value and "://" in value:
            raise ValueError(
                "lineage.endpoint is the path appended to lineage.url (default api/v1/lineage), not a URL:"
                " put the backend's address in `url` (e.g. `url: ${OPENLINEAGE_URL:}`) and leave `endpoint` out"
            )
        return value


class TracesConfig(FloeModel):
    """`observability.traces`: OpenTelemetry spans, exported over OTLP when an endpoint is set."""

    enabled: bool = Field(default=True, description="create spans (OTEL_SDK_DISABLED=true wins)")
    endpoint: str | None = Field(
        default=None,
        description="OTLP endpoint, e.g. http://collector:4318 (http) or http://collector:4317 (grpc);"
        " default: $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / $OTEL_EXPORTER_OTLP_ENDPOINT",
    )
    protocol: Literal["http/protobuf", "grpc"] | None = Field(
        default=None, description="OTLP protocol; default: $OTEL_EXPORTER_OTLP_PROTOCOL or http/protobuf"
    )
    service_name: str | None = Field(
        default=None, description="service.name resource attribute; default: $OTEL_SERVICE_NAME or project"
    )
    timeout_seconds: float = Field(default=5.0, gt=0, le=300, description="per-export timeout")
    flush_timeout_seconds: float = Field(
        default=2.0, ge=0, le=300, description="longest a step waits at its end for queued spans"
    )


class ObservabilityConfig(FloeModel):
    lineage: LineageConfig = Field(default_factory=LineageConfig)
    traces: TracesConfig = Field(default_factory=TracesConfig)
    attributes: dict[str, str] = Field(
        default_factory=dict, description="attributes added to every span (tenant context, e.g. tenant: acme)"
    )
