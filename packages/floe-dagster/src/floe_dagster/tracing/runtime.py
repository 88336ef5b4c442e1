"""The process's TracerProvider for floe: OTLP (HTTP or gRPC) export only when an endpoint is configured.

A private provider (not the global one) so floe neither fights with nor depends on a user's OTel setup.
Export runs on BatchSpanProcessor's thread; a failing or silent collector produces ONE warning per process
(the exporter's own per-batch log lines are silenced) and flushes stop waiting for it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Sequence

import structlog
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Tracer

from floe_dagster.tracing.settings import TraceSettings

log = structlog.get_logger("floe.tracing")

_EXPORTER_LOGGERS = ("opentelemetry.exporter.otlp", "opentelemetry.sdk.trace.export")


class _GuardedExporter(SpanExporter):
    """Delegates to the OTLP exporter; never raises; reports the first failure once."""

    def __init__(self, inner: SpanExporter, label: str) -> None:
        self._inner = inner
        self._label = label
        self._lock = threading.Lock()
        self.unhealthy = False
        self.exported = 0
        self.failed = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            result = self._inner.export(spans)
            reason = "export rejected or not answered"
        except Exception as exc:
            result, reason = SpanExportResult.FAILURE, type(exc).__name__
        with self._lock:
            if result == SpanExportResult.SUCCESS:
                self.exported += len(spans)
            else:
                self.failed += len(spans)
                self.mark_unhealthy(reason)
        return result

    def mark_unhealthy(self, reason: str) -> None:
        if not self.unhealthy:
            self.unhealthy = True
            log.warning(
                "otlp trace endpoint unreachable; spans are dropped, the run continues",
                endpoint=self._label,
                reason=reason,
            )

    def shutdown(self) -> None:
        with contextlib.suppress(Exception):
            self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


class TracingRuntime:
    def __init__(self, settings: TraceSettings) -> None:
        self.settings = settings
        resource = Resource.create({"service.name": settings.service_name, **settings.attributes})
        self.provider = TracerProvider(resource=resource)
        self._exporter: _GuardedExporter | None = None
        self._processor: BatchSpanProcessor | None = None
        if settings.endpoint:
            for name in _EXPORTER_LOGGERS:  # our guard reports once; the SDK would log every batch
                logging.getLogger(name).setLevel(logging.CRITICAL)
            self._exporter = _GuardedExporter(_otlp_exporter(settings), settings.target_label)
            self._processor = BatchSpanProcessor(
                self._exporter,
                schedule_delay_millis=200,  # spans leave well within a second of ending (SC-004)
                export_timeout_millis=int(settings.timeout_seconds * 1000),
            )
            self.provider.add_span_processor(self._processor)
        self.tracer: Tracer = self.provider.get_tracer("floe")

    @property
    def exporter(self) -> _GuardedExporter | None:
        return self._exporter

    def export_finished(self, span: ReadableSpan) -> bool:
        """Queue a span built outside the tracer (the run span); False when nothing is exported."""
        if self._processor is None:
            return False
        self._processor.on_end(span)
        return True

    def flush(self) -> None:
        """Bounded wait for queued spans; skipped once the collector has proven dead."""
        if self._exporter is None or self._exporter.unhealthy:
            return
        budget = self.settings.flush_timeout_seconds
        if not self.provider.force_flush(timeout_millis=int(budget * 1000)):
            self._exporter.mark_unhealthy(f"did not answer within {budget:g}s")


def _otlp_exporter(settings: TraceSettings) -> SpanExporter:
    endpoint = settings.endpoint or ""
    if settings.protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter

        insecure = not endpoint.startswith("https://")
        return GrpcExporter(endpoint=endpoint, insecure=insecure, timeout=settings.timeout_seconds)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter

    if not endpoint.rstrip("/").endswith("/v1/traces"):
        endpoint = (
            endpoint.rstrip("/") + "/v1/traces"
        )  # base collector URL given, as OTEL_EXPORTER_OTLP_ENDPOINT
    return HttpExporter(endpoint=endpoint, timeout=settings.timeout_seconds)
