"""Effective observability settings: floe.yaml `observability:` completed by the standard env vars.

floe.yaml values win where set; the env vars fill in what floe.yaml leaves open, so one floe.yaml serves
every environment. Lineage: OPENLINEAGE_URL / _ENDPOINT / _NAMESPACE / _API_KEY, `OPENLINEAGE_DISABLED=true`
always wins (the operator's kill switch). Traces: OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT / _PROTOCOL,
OTEL_SERVICE_NAME, `OTEL_SDK_DISABLED=true` always wins; spans are still created without an endpoint (log
lines carry trace/span ids for correlation) but nothing is exported and nothing connects.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from floe_core.spec.observability import LineageConfig, ObservabilityConfig

DEFAULT_ENDPOINT = "api/v1/lineage"
_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class LineageSettings:
    transport: Literal["http", "console", "file"]
    namespace: str
    url: str | None  # base URL (http transport)
    endpoint: str  # path joined to url
    file_path: Path | None
    api_key: str | None  # resolved from the env at runtime; never logged, never in an event
    timeout_seconds: float
    flush_timeout_seconds: float
    queue_size: int

    @property
    def target_label(self) -> str:
        """Where events go, for warnings: no credentials, no query string."""
        if self.transport == "http" and self.url:
            parts = urlsplit(self.url)
            host = parts.hostname or ""
            port = f":{parts.port}" if parts.port else ""
            path = self.endpoint.split("?", 1)[0].lstrip("/")
            return f"{parts.scheme}://{host}{port}/{path}"
        if self.transport == "file":
            return f"file {self.file_path}"
        return "console"


def resolve_lineage(
    config: LineageConfig, project_name: str, project_root: Path, env: Mapping[str, str] | None = None
) -> LineageSettings | None:
    """None when lineage is off or has nowhere to go (then floe emits nothing and connects nowhere)."""
    env = os.environ if env is None else env
    if not config.enabled or env.get("OPENLINEAGE_DISABLED", "").strip().lower() in _TRUE:
        return None
    url = config.url or env.get("OPENLINEAGE_URL") or None
    endpoint = config.endpoint or env.get("OPENLINEAGE_ENDPOINT") or DEFAULT_ENDPOINT
    if url:
        url, endpoint = _split_full_url(url, endpoint, path_is_endpoint=config.endpoint is None)
    file_path = (project_root / config.file_path).resolve() if config.file_path else None
    if config.transport == "http" and not url:
        return None
    if config.transport == "file" and file_path is None:
        return None
    key_env = config.api_key_env or "OPENLINEAGE_API_KEY"
    return LineageSettings(
        transport=config.transport,
        namespace=config.namespace or env.get("OPENLINEAGE_NAMESPACE") or project_name,
        url=url,
        endpoint=endpoint,
        file_path=file_path,
        api_key=env.get(key_env) or None,
        timeout_seconds=config.timeout_seconds,
        flush_timeout_seconds=config.flush_timeout_seconds,
        queue_size=config.queue_size,
    )


def _split_full_url(url: str, endpoint: str, *, path_is_endpoint: bool) -> tuple[str, str]:
    """Accept `http://host:5000/api/v1/lineage` as url too: the path becomes the endpoint.

    A query string (`?api_key=...`, how some backends authenticate) travels with the endpoint: the client
    joins url and endpoint with urljoin, which would drop a query left on the url."""
    parts = urlsplit(url)
    if path_is_endpoint and parts.path.strip("/"):
        url, endpoint = f"{parts.scheme}://{parts.netloc}/", parts.path.lstrip("/")
    elif parts.query:
        url = f"{parts.scheme}://{parts.netloc}{parts.path}"
    if parts.query:
        endpoint = f"{endpoint.split('?', 1)[0]}?{parts.query}"
    return url, endpoint


@dataclass(frozen=True)
class TraceSettings:
    service_name: str
    endpoint: str | None  # None: spans stay in-process (no exporter)
    protocol: Literal["http/protobuf", "grpc"]
    timeout_seconds: float
    flush_timeout_seconds: float
    attributes: Mapping[str, str] = field(default_factory=dict)

    @property
    def target_label(self) -> str:
        if not self.endpoint:
            return "none"
        parts = urlsplit(self.endpoint)
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path} ({self.protocol})"


def resolve_traces(
    config: ObservabilityConfig, project_name: str, env: Mapping[str, str] | None = None
) -> TraceSettings | None:
    """None when tracing is disabled altogether."""
    env = os.environ if env is None else env
    traces = config.traces
    if not traces.enabled or env.get("OTEL_SDK_DISABLED", "").strip().lower() in _TRUE:
        return None
    endpoint = (
        traces.endpoint
        or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        or env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or None
    )
    env_protocol = env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or env.get("OTEL_EXPORTER_OTLP_PROTOCOL")
    protocol: Literal["http/protobuf", "grpc"] = traces.protocol or (
        "grpc" if env_protocol == "grpc" else "http/protobuf"
    )
    return TraceSettings(
        service_name=traces.service_name or env.get("OTEL_SERVICE_NAME") or project_name,
        endpoint=endpoint,
        protocol=protocol,
        timeout_seconds=traces.timeout_seconds,
        flush_timeout_seconds=traces.flush_timeout_seconds,
        attributes=dict(config.attributes),
    )
