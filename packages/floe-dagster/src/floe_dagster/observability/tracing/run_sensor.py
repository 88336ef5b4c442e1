"""`floe_run_spans`: a sensor that exports the root span of every finished Dagster run of this code location.

Why a sensor: the run span must start when the run starts and end when it ends, but no floe code runs
for a whole run (steps may be separate processes; the run worker is Dagster's). The run record has the
times and the outcome, and a sensor (evaluated by the daemon, e.g. under `dagster dev`) sees every run
once it finished. The materialization spans were exported while the run ran; this adds their parent.
Lineage is unaffected: OpenLineage events never depend on this sensor (FR-024).

The cursor is a high-water mark on run end time plus the ids just exported, so every run is exported once
even when several end in the same second. A first evaluation looks back `LOOKBACK_SECONDS`, so runs that
ended shortly before the daemon first ticked still get their root span.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRecord,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from floe_dagster.observability.logging import get_logger
from floe_dagster.observability.tracing.context import FinishedRun, RunOutcome


class RunSpanExporter(Protocol):
    """What the sensor needs of the process's telemetry (observability.telemetry.Telemetry), which is
    made on the first tick, not when definitions load."""

    def export_run_span(self, run: FinishedRun) -> bool: ...

    def flush(self) -> None: ...


SENSOR_NAME = "floe_run_spans"
LOOKBACK_SECONDS = 3600.0
SLACK_SECONDS = 5.0  # runs ending this close to the mark are checked against the exported ids
BATCH = 200
_OUTCOMES: dict[DagsterRunStatus, RunOutcome] = {
    DagsterRunStatus.SUCCESS: "success",
    DagsterRunStatus.FAILURE: "failure",
    DagsterRunStatus.CANCELED: "canceled",
}

log = get_logger("floe.tracing")


@dataclass(frozen=True)
class Cursor:
    mark: float  # highest run end time handled (epoch seconds)
    recent: frozenset[str]  # run ids handled whose end time is within SLACK_SECONDS of the mark

    @classmethod
    def parse(cls, raw: str | None, now: float) -> Cursor:
        try:
            data = json.loads(raw or "")
            return cls(float(data["mark"]), frozenset(str(i) for i in data["recent"]))
        except (ValueError, KeyError, TypeError):  # first tick, or a cursor from another version
            return cls(now - LOOKBACK_SECONDS, frozenset())

    def dump(self) -> str:
        return json.dumps({"mark": self.mark, "recent": sorted(self.recent)})


def run_span_sensor(telemetry: Callable[[], RunSpanExporter]) -> SensorDefinition:
    @sensor(
        name=SENSOR_NAME,
        minimum_interval_seconds=15,
        default_status=DefaultSensorStatus.RUNNING,
        description="floe: exports the root OpenTelemetry span of each finished run (the parent of the "
        "materialization spans; trace id = run id).",
    )
    def floe_run_spans(context: SensorEvaluationContext) -> SkipReason:
        try:
            exported = _export_finished_runs(context, telemetry())
        except Exception as exc:  # observability never breaks anything, not even a sensor tick
            log.warning("run span export failed", error=f"{type(exc).__name__}: {exc}")
            return SkipReason(f"run span export failed: {type(exc).__name__}")
        return SkipReason(f"exported {exported} run span(s)")

    return floe_run_spans


def _export_finished_runs(context: SensorEvaluationContext, telemetry: RunSpanExporter) -> int:
    cursor = Cursor.parse(context.cursor, time.time())
    records = context.instance.get_run_records(
        filters=RunsFilter(
            statuses=list(_OUTCOMES),
            updated_after=datetime.fromtimestamp(cursor.mark - SLACK_SECONDS, UTC),
        ),
        order_by="update_timestamp",
        ascending=True,
        limit=BATCH,
    )
    handled: list[tuple[str, float]] = []
    exported = 0
    for record in records:
        run = record.dagster_run
        ended = record.end_time or record.update_timestamp.timestamp()
        if ended < cursor.mark - SLACK_SECONDS or run.run_id in cursor.recent:
            continue
        handled.append((run.run_id, ended))
        if _belongs_here(context, record) and telemetry.export_run_span(_finished(record, ended)):
            exported += 1
    if exported:
        telemetry.flush()
    context.update_cursor(_advance(cursor, handled).dump())
    return exported


def _advance(cursor: Cursor, handled: Sequence[tuple[str, float]]) -> Cursor:
    mark = max([cursor.mark, *(ended for _, ended in handled)])
    recent = {run_id for run_id, ended in handled if ended >= mark - SLACK_SECONDS}
    recent |= {run_id for run_id in cursor.recent if cursor.mark >= mark - SLACK_SECONDS}
    return Cursor(mark, frozenset(recent))


def _belongs_here(context: SensorEvaluationContext, record: RunRecord) -> bool:
    """Runs launched from this code location (or, without origins, runs of one of its jobs)."""
    run = record.dagster_run
    origin = run.remote_job_origin
    here = context.code_location_origin
    if origin is not None and here is not None:
        return bool(origin.location_name == here.location_name)
    repo = context.repository_def
    return repo is not None and repo.has_job(run.job_name)


def _finished(record: RunRecord, ended: float) -> FinishedRun:
    run = record.dagster_run
    started = record.start_time or record.create_timestamp.timestamp()
    return FinishedRun(
        run_id=run.run_id,
        job_name=run.job_name,
        outcome=_OUTCOMES[run.status],
        started_at=started,
        ended_at=ended,
        partition_key=run.tags.get("dagster/partition"),
    )
