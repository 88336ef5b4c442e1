"""The source event of seed 003, built from a finished Dagster run: its job, id, status, times, who started
it, and what its materializations reported (artifacts: paths and URLs; metrics: records_read/written/dropped)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dagster import DagsterEventType, DagsterInstance, DagsterRun
from floe_core.triggers import SourceEvent

METRIC_KEYS = ("records_read", "records_written", "records_dropped")
CREATED_BY_TAGS = (
    "floe/triggered_by",
    "dagster/user",
    "user",
    "dagster/schedule_name",
    "dagster/sensor_name",
)
_ARTIFACT_LIMIT = 50  # the event travels in tags, queues and arguments: bounded


def _iso(timestamp: float | None) -> str | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC).isoformat()


def _plain(value: Any) -> Any:
    """A metadata value as JSON: its `.value` (text, path, URL, number), else its text."""
    inner = getattr(value, "value", value)
    if isinstance(inner, str | int | float | bool) or inner is None:
        return inner
    return str(inner)


def source_event(instance: DagsterInstance, run: DagsterRun) -> SourceEvent:
    stats = instance.get_run_stats(run.run_id)
    artifacts: dict[str, Any] = {}
    metrics: dict[str, Any] = {}
    records = instance.get_records_for_run(
        run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION, limit=500
    ).records
    for record in records:
        materialization = record.event_log_entry.asset_materialization
        if materialization is None:
            continue
        for key, value in materialization.metadata.items():
            plain = _plain(value)
            if key in METRIC_KEYS and isinstance(plain, int | float):
                metrics[key] = metrics.get(key, 0) + plain
            elif isinstance(plain, str) and len(artifacts) < _ARTIFACT_LIMIT:
                artifacts.setdefault(key, plain)
    created_by = next((run.tags[t] for t in CREATED_BY_TAGS if run.tags.get(t)), None)
    return SourceEvent(
        job_name=run.job_name,
        run_id=run.run_id,
        status=run.status.value,
        start_date=_iso(stats.start_time),
        end_date=_iso(stats.end_time),
        created_by=created_by,
        artifacts=artifacts,
        metrics=metrics,
    )


def failed_checks(instance: DagsterInstance, run_id: str) -> list[str]:
    """The quality checks (asset checks, dbt tests) that failed in a run: `asset_key:check_name`."""
    failed = []
    records = instance.get_records_for_run(
        run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION, limit=1000
    ).records
    for record in records:
        event = record.event_log_entry.dagster_event
        evaluation = event.asset_check_evaluation_data if event is not None else None
        if evaluation is not None and not evaluation.passed:
            failed.append(f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}")
    return sorted(set(failed))
