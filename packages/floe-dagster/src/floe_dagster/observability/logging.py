"""structlog for floe: every log line carries the current `trace_id` and `span_id` (FR-019).

`configure_logging()` is idempotent. When the application already configured structlog, floe only inserts
its trace-context processor in front of the existing chain instead of replacing the user's setup.
Lines are rendered as JSON and handed to stdlib logging (logger names `floe.*`), so Dagster's compute
logs, `caplog` and any handler the user installs see them.
"""

from __future__ import annotations

import threading
from collections.abc import MutableMapping
from typing import Any

from opentelemetry import trace

from floe_dagster.observability.ids import format_span_id, format_trace_id

_lock = threading.Lock()


def add_trace_context(_logger: object, _method: str, event_dict: MutableMapping[str, Any]) -> Any:
    """Add ids of the active OpenTelemetry span; explicit `trace_id=`/`span_id=` kwargs win."""
    ctx = trace.get_current_span().get_span_context()
    if ctx.is_valid:
        event_dict.setdefault("trace_id", format_trace_id(ctx.trace_id))
        event_dict.setdefault("span_id", format_span_id(ctx.span_id))
    return event_dict


def configure_logging() -> None:
    import structlog

    with _lock:
        if structlog.is_configured():
            processors = list(structlog.get_config()["processors"])
            if add_trace_context not in processors:
                structlog.configure(processors=[add_trace_context, *processors])
            return
        structlog.configure(
            processors=[
                structlog.contextvars.merge_contextvars,
                structlog.stdlib.add_logger_name,
                structlog.stdlib.add_log_level,
                add_trace_context,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(),
            ],
            logger_factory=structlog.stdlib.LoggerFactory(),
            wrapper_class=structlog.stdlib.BoundLogger,
            cache_logger_on_first_use=True,
        )


def get_logger(name: str) -> Any:
    return _LazyLogger(name)


class _LazyLogger:
    """A structlog logger made on first use. Modules loaded with the definitions hold one: structlog (and
    rich, which it imports) cost every Dagster process ~6 MB, and most never log through floe."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._logger: Any = None

    def __getattr__(self, method: str) -> Any:
        if self._logger is None:
            import structlog

            configure_logging()
            self._logger = structlog.get_logger(self._name)
        return getattr(self._logger, method)


class WarnOnce:
    """One warning per process for a recurring outage (a dead lineage or trace endpoint): the first
    occurrence is worth a line, the thousandth is noise in every step's log."""

    def __init__(self, logger: Any, event: str) -> None:
        self._logger = logger
        self._event = event
        self._lock = threading.Lock()
        self.warned = False

    def __call__(self, **fields: Any) -> bool:
        """Warn (with `fields`) unless already warned; True when this call warned."""
        with self._lock:
            if self.warned:
                return False
            self.warned = True
        self._logger.warning(self._event, **fields)
        return True
