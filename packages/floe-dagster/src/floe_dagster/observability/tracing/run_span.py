"""The root span of a Dagster run's trace, built after the run ended from its run record.

Materialization spans (possibly in several step processes) point at a run span whose ids derive from the
run id (`tracing.context`). No process lives for the whole run to record that span, so it is assembled
afterwards as a finished `ReadableSpan` with exactly those ids, the run's own start/end times and outcome,
and handed to the exporter. The SDK's tracer cannot do this: it always draws fresh span ids.
"""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

from floe_dagster.observability.tracing.context import FinishedRun, run_span_id, run_trace_id


def run_span(run: FinishedRun, resource: Resource, attributes: Mapping[str, str]) -> ReadableSpan:
    context = SpanContext(
        trace_id=run_trace_id(run.run_id),
        span_id=run_span_id(run.run_id),
        is_remote=False,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )
    attrs: dict[str, str | float] = {
        **attributes,  # tenant context first: floe's own keys win
        "dagster.run_id": run.run_id,
        "dagster.job": run.job_name,
        "floe.status": run.outcome,
        "floe.duration_ms": max(run.ended_at - run.started_at, 0.0) * 1000.0,
    }
    if run.partition_key:
        attrs["dagster.partition_key"] = run.partition_key
    status = (
        Status(StatusCode.OK)
        if run.outcome == "success"
        else Status(StatusCode.ERROR, f"dagster run {run.outcome}")
    )
    return ReadableSpan(
        name=f"dagster run {run.job_name}",
        context=context,
        parent=None,  # the root of the run's trace
        resource=resource,
        attributes=attrs,
        kind=SpanKind.INTERNAL,
        status=status,
        start_time=_ns(run.started_at),
        end_time=_ns(max(run.ended_at, run.started_at)),
        instrumentation_scope=InstrumentationScope("floe"),
    )


def _ns(seconds: float) -> int:
    return int(seconds * 1_000_000_000)
