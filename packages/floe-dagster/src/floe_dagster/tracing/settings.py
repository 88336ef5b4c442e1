"""Effective trace settings: floe.yaml `observability.traces` completed by the standard OTEL_* env vars.

floe.yaml values win where set; `OTEL_SDK_DISABLED=true` always wins. Spans are still created without an
endpoint (log lines carry trace/span ids for correlation) but nothing is exported and nothing connects.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from floe_core.spec.observability import ObservabilityConfig

_TRUE = {"1", "true", "yes", "on"}


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
