"""The process's TracerProvider for floe: OTLP (HTTP or gRPC) export only when an endpoint is configured.

A private provider (not the global one) so floe neither fights with nor depends on a user's OTel setup.
Export runs on BatchSpanProcessor's thread; a failing or silent collector produces ONE warning per process
(the exporter's own per-batch log lines are silenced). A dead collector costs a run at most one bounded
flush: one attempt per export (no retry loop), then batches are dropped without a connection for
`RETRY_AFTER_SECONDS` before one is tried again; flushes and the exit hook never wait for it.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import requests
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Tracer

from floe_dagster.observability.logging import WarnOnce, get_logger
from floe_dagster.observability.settings import TraceSettings

log = get_logger("floe.tracing")

_EXPORTER_LOGGERS = ("opentelemetry.exporter.otlp", "opentelemetry.sdk.trace.export")
RETRY_AFTER_SECONDS = 30.0  # a collector that failed is tried again after this long


class EndpointUnavailableError(RuntimeError):
    """Raised instead of requests' connection errors, which the OTLP HTTP exporter retries with backoff
    until its timeout; this one it reports at once. Retry policy belongs to `_GuardedExporter`."""


class _OneAttemptSession(requests.Session):
    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        try:
            return super().request(*args, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise EndpointUnavailableError(type(exc).__name__) from None


class _GuardedExporter(SpanExporter):
    """Delegates to the OTLP exporter; never raises; reports the first failure once."""

    def __init__(self, inner: SpanExporter, label: str) -> None:
        self._inner = inner
        self._label = label
        self._lock = threading.Lock()
        self.unhealthy = False
        self._warn = WarnOnce(log, "otlp trace endpoint unreachable; spans are dropped, the run continues")
        self._retry_at = 0.0
        self.exported = 0
        self.failed = 0
        self.attempts = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        with self._lock:
            if self.unhealthy and time.monotonic() < self._retry_at:
                self.failed += len(spans)  # dropped: the collector failed moments ago
                return SpanExportResult.FAILURE
            self.attempts += 1
        try:
            result = self._inner.export(spans)
            reason = "export rejected or not answered"
        except Exception as exc:
            result, reason = SpanExportResult.FAILURE, type(exc).__name__
        with self._lock:
            if result == SpanExportResult.SUCCESS:
                self.exported += len(spans)
                self.unhealthy = False
            else:
                self.failed += len(spans)
                self.mark_unhealthy(reason)
        return result

    def mark_unhealthy(self, reason: str) -> None:
        self._retry_at = time.monotonic() + RETRY_AFTER_SECONDS
        self._warn(endpoint=self._label, reason=reason)
        self.unhealthy = True

    def shutdown(self) -> None:
        with contextlib.suppress(Exception):
            self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


class TracingRuntime:
    def __init__(self, settings: TraceSettings) -> None:
        self.settings = settings
        resource = Resource.create({"service.name": settings.service_name, **settings.attributes})
        # floe's exit hook replaces the SDK's, which would wait up to 30 s for a dead collector
        self.provider = TracerProvider(resource=resource, shutdown_on_exit=False)
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
            atexit.register(self._shutdown_at_exit)
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
        self.begin_flush().wait()

    def begin_flush(self) -> FlushWaiter:
        """Start exporting what is queued; the waiter waits at most `flush_timeout_seconds` from now.

        The SDK's force_flush ignores its timeout (it exports everything on the caller's thread), so it
        runs on a helper thread; a collector that has not answered by the deadline is marked dead."""
        return self._in_background(self.provider.force_flush, "floe-span-flush")

    def _shutdown_at_exit(self) -> None:
        """Last spans leave within one flush budget; nothing is waited for once the collector failed."""
        if self._processor is not None:  # the SDK's shutdown would join its worker for up to 30 s
            self._in_background(self._processor.shutdown, "floe-span-shutdown").wait()

    def _in_background(self, action: Callable[[], object], name: str) -> FlushWaiter:
        if self._exporter is None or self._exporter.unhealthy:
            return FlushWaiter(None, 0.0, None)
        thread = threading.Thread(target=action, name=name, daemon=True)
        thread.start()
        return FlushWaiter(thread, self.settings.flush_timeout_seconds, self._exporter)


class FlushWaiter:
    def __init__(
        self, thread: threading.Thread | None, budget: float, exporter: _GuardedExporter | None
    ) -> None:
        self._thread = thread
        self._budget = budget
        self._deadline = time.monotonic() + budget
        self._exporter = exporter

    def wait(self) -> None:
        if self._thread is None or self._exporter is None:
            return
        self._thread.join(max(self._deadline - time.monotonic(), 0.0))
        if self._thread.is_alive():
            self._exporter.mark_unhealthy(f"did not answer within {self._budget:g}s")


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
    return HttpExporter(endpoint=endpoint, timeout=settings.timeout_seconds, session=_OneAttemptSession())
