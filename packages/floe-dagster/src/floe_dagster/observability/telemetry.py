"""One materialization = one OpenLineage run (START, then COMPLETE or FAIL) + one span, sharing ids.

`Telemetry` is created cheaply at definitions load (webserver, daemon, step processes all load them) and
builds its emitter thread and tracer provider lazily, on the first materialization of a process, so
processes that never materialize never start threads or exporters.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import JobFacet, RunFacet
from openlineage.client.uuid import generate_new_uuid
from opentelemetry.trace import Span, Status, StatusCode

from floe_dagster.observability.ids import format_span_id, format_trace_id
from floe_dagster.observability.lineage import facets
from floe_dagster.observability.lineage.emitter import LineageEmitter
from floe_dagster.observability.lineage.transports import build_transport
from floe_dagster.observability.logging import configure_logging
from floe_dagster.observability.settings import LineageSettings, TraceSettings
from floe_dagster.observability.tracing.context import FinishedRun, run_parent
from floe_dagster.observability.tracing.run_span import run_span
from floe_dagster.observability.tracing.runtime import TracingRuntime


@dataclass(frozen=True)
class DagsterRun:
    """The Dagster side of a materialization: the parent of every lineage run and span."""

    run_id: str
    job_name: str
    partition_key: str | None = None


@dataclass(frozen=True)
class MaterializationSpec:
    job_name: str  # OpenLineage job name, e.g. "<project>.<model>" or the asset key
    asset_key: str
    integration: str  # DBT | DAGSTER
    job_kind: str  # MODEL | ASSET | JOB
    unique_id: str | None = None
    inputs: Sequence[InputDataset] = ()
    outputs: Sequence[OutputDataset] = ()
    job_facets: Mapping[str, JobFacet] = field(default_factory=dict)
    traced: bool = True  # False for lineage-only runs (dbt test results), which are not materializations


SEND_LANES = 3  # concurrent lineage senders: dbt's bursts of node events leave together (emitter)


class Telemetry:
    def __init__(
        self,
        lineage: LineageSettings | None,
        traces: TraceSettings | None,
        namespace: str,
        compute_target: str,
    ) -> None:
        self.lineage_settings = lineage
        self.trace_settings = traces
        self.namespace = namespace
        self.compute_target = compute_target
        self._lock = threading.Lock()
        self._emitter: LineageEmitter | None = None
        self._tracing: TracingRuntime | None = None
        self._started = False

    def warm_up(self) -> None:
        """Start the emitter and tracer now (idempotent), so the first event does not pay for it."""
        self._start()

    def _start(self) -> None:
        with self._lock:
            if self._started:
                return
            configure_logging()
            if self.lineage_settings is not None:
                s = self.lineage_settings
                self._emitter = LineageEmitter(
                    [build_transport(s) for _ in range(SEND_LANES)],
                    s.target_label,
                    s.queue_size,
                    s.flush_timeout_seconds,
                )
            if self.trace_settings is not None:
                self._tracing = TracingRuntime(self.trace_settings)
            self._started = True

    @property
    def emitter(self) -> LineageEmitter | None:
        return self._emitter

    @property
    def tracing(self) -> TracingRuntime | None:
        return self._tracing

    def begin(
        self, spec: MaterializationSpec, run: DagsterRun, started_at: datetime | None = None
    ) -> Materialization:
        self._start()
        return Materialization(self, spec, run, started_at or datetime.now(UTC))

    def emit(self, event: RunEvent) -> None:
        if self._emitter is not None:
            self._emitter.emit(event)

    def export_run_span(self, run: FinishedRun) -> bool:
        """Export the root span of a finished Dagster run (see tracing.run_span); False when not exported."""
        self._start()
        if self._tracing is None or self.trace_settings is None:
            return False
        span = run_span(run, self._tracing.provider.resource, self.trace_settings.attributes)
        return self._tracing.export_finished(span)

    def flush(self) -> None:
        """End of a step: bounded wait so events and spans leave before a step process exits.

        Both drain at once, so a step waits for the slower of the two budgets, not their sum."""
        spans = self._tracing.begin_flush() if self._tracing is not None else None
        if self._emitter is not None:
            self._emitter.flush()
        if spans is not None:
            spans.wait()


class Materialization:
    def __init__(
        self, telemetry: Telemetry, spec: MaterializationSpec, run: DagsterRun, started_at: datetime
    ) -> None:
        self.telemetry = telemetry
        self.spec = spec
        self.run = run
        self.started_at = started_at
        self.run_id = str(generate_new_uuid(started_at))  # UUIDv7: time-ordered, as OpenLineage recommends
        self.span: Span | None = None
        self.finished = False
        tracing = telemetry.tracing
        if tracing is not None and spec.traced:
            self.span = tracing.tracer.start_span(
                f"materialize {spec.asset_key}",
                context=run_parent(run.run_id),
                start_time=_ns(started_at),
                attributes=self._span_attributes(),
            )
        telemetry.emit(self._event(RunState.START, started_at, self.spec.outputs))

    @property
    def trace_id(self) -> str | None:
        return format_trace_id(self.span.get_span_context().trace_id) if self.span else None

    @property
    def span_id(self) -> str | None:
        return format_span_id(self.span.get_span_context().span_id) if self.span else None

    def complete(
        self,
        ended_at: datetime | None = None,
        outputs: Sequence[OutputDataset] | None = None,
        job_facets: Mapping[str, JobFacet] | None = None,
        inputs: Sequence[InputDataset] | None = None,
    ) -> None:
        ended = ended_at or datetime.now(UTC)
        self._finish(ended, "success", None)
        chosen = self.spec.outputs if outputs is None else outputs
        self.telemetry.emit(
            self._event(RunState.COMPLETE, ended, chosen, job_facets=job_facets, inputs=inputs)
        )

    def fail(
        self,
        message: str,
        *,
        ended_at: datetime | None = None,
        exc: BaseException | None = None,
        language: str = "SQL",
        stack: str | None = None,
        job_facets: Mapping[str, JobFacet] | None = None,
    ) -> None:
        ended = ended_at or datetime.now(UTC)
        if self.span is not None and exc is not None:
            self.span.record_exception(exc)
        elif self.span is not None:
            self.span.add_event("exception", {"exception.type": "dbt.error", "exception.message": message})
        self._finish(ended, "failed", message)
        extra: dict[str, RunFacet] = {"errorMessage": facets.error(message, language, stack)}
        self.telemetry.emit(self._event(RunState.FAIL, ended, self.spec.outputs, extra, job_facets))

    def _finish(self, ended: datetime, status: str, error: str | None) -> None:
        self.finished = True
        if self.span is None:
            return
        duration_ms = max((ended - self.started_at).total_seconds() * 1000.0, 0.0)
        self.span.set_attribute("floe.status", status)
        self.span.set_attribute("floe.duration_ms", duration_ms)
        if error is None:
            self.span.set_status(Status(StatusCode.OK))
        else:
            self.span.set_status(Status(StatusCode.ERROR, error[:1000]))
        self.span.end(end_time=_ns(ended))

    def _span_attributes(self) -> dict[str, str]:
        settings = self.telemetry.trace_settings
        attrs = {
            **(settings.attributes if settings else {}),  # tenant context first: floe's own keys win
            "floe.asset_key": self.spec.asset_key,
            "dagster.run_id": self.run.run_id,
            "dagster.job": self.run.job_name,
            "floe.compute_target": self.telemetry.compute_target,
            "openlineage.run_id": self.run_id,
            "openlineage.job.namespace": self.telemetry.namespace,
            "openlineage.job.name": self.spec.job_name,
        }
        if self.spec.unique_id:
            attrs["dbt.unique_id"] = self.spec.unique_id
        if self.run.partition_key:
            attrs["dagster.partition_key"] = self.run.partition_key
        return attrs

    def _event(
        self,
        state: RunState,
        when: datetime,
        outputs: Sequence[OutputDataset],
        extra: Mapping[str, RunFacet] | None = None,
        job_facets: Mapping[str, JobFacet] | None = None,
        *,
        inputs: Sequence[InputDataset] | None = None,
    ) -> RunEvent:
        run_facets: dict[str, RunFacet] = {
            "parent": facets.parent(self.telemetry.namespace, self.run.job_name, self.run.run_id),
            "processing_engine": facets.processing_engine(),
            "tags": facets.tags(
                {
                    "dagster.run_id": self.run.run_id,
                    "dagster.partition_key": self.run.partition_key or "",
                    "asset_key": self.spec.asset_key,
                    "dbt.unique_id": self.spec.unique_id or "",
                    "trace_id": self.trace_id or "",
                    "span_id": self.span_id or "",
                }
            ),
            **(extra or {}),
        }
        all_job_facets: dict[str, JobFacet] = {
            "jobType": facets.job_type(self.spec.integration, self.spec.job_kind),
            **self.spec.job_facets,
            **(job_facets or {}),
        }
        return RunEvent(
            eventType=state,
            eventTime=when.astimezone(UTC).isoformat(),
            run=Run(runId=self.run_id, facets=run_facets),
            job=Job(namespace=self.telemetry.namespace, name=self.spec.job_name, facets=all_job_facets),
            producer=facets.PRODUCER,
            inputs=list(self.spec.inputs if inputs is None else inputs),
            outputs=list(outputs),
        )


def _ns(when: datetime) -> int:
    return int(when.timestamp() * 1_000_000_000)
