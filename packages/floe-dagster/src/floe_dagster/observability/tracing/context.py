"""One trace per Dagster run, found by every process of the run without any hand-off.

The trace id IS the Dagster run id (a UUID is 128 bits, exactly an OpenTelemetry trace id), and the run
span id is derived from it. So spans created in separate step processes (multiprocess executor), in
retries, or in a sensor after the run, all join the same trace under the same parent, and a user who has
a Dagster run id can look the trace up directly.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Literal

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

RunOutcome = Literal["success", "failure", "canceled"]


@dataclass(frozen=True)
class FinishedRun:
    run_id: str
    job_name: str
    outcome: RunOutcome
    started_at: float  # epoch seconds, from the run record
    ended_at: float
    partition_key: str | None = None


def run_trace_id(run_id: str) -> int:
    try:
        return uuid.UUID(run_id).int or 1
    except ValueError:  # not a UUID (e.g. an ephemeral test run id): hash it into 128 bits
        return int.from_bytes(hashlib.sha256(run_id.encode()).digest()[:16], "big") or 1


def run_span_id(run_id: str) -> int:
    return int.from_bytes(hashlib.sha256(f"floe-run-span:{run_id}".encode()).digest()[:8], "big") or 1


def run_span_context(run_id: str) -> SpanContext:
    return SpanContext(
        trace_id=run_trace_id(run_id),
        span_id=run_span_id(run_id),
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )


def run_parent(run_id: str) -> Context:
    """OpenTelemetry context whose current span is the run span: pass as `context=` to start children."""
    return trace.set_span_in_context(NonRecordingSpan(run_span_context(run_id)))
