"""`type: run_status`: on a watched job's SUCCESS/FAILURE/…, launch a job and/or POST a webhook."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dagster import (
    DagsterRunStatus,
    RunRequest,
    RunStatusSensorContext,
    SensorDefinition,
    SkipReason,
    run_status_sensor,
)
from floe_core.spec.orchestration.sensors import RunStatusSensor

from floe_dagster.orchestration.jobs import BuiltJob
from floe_dagster.orchestration.sensors.common import FLOE_SENSOR_TAG, sensor_status
from floe_dagster.orchestration.sensors.webhook import notify


def run_status_sensors(
    name: str, spec: RunStatusSensor, jobs: Mapping[str, BuiltJob]
) -> list[SensorDefinition]:
    """One Dagster sensor per watched status (Dagster's run-status sensors watch one status each)."""
    launched = jobs[spec.job].definition if spec.job else None
    built: list[SensorDefinition] = []
    for status in spec.statuses:
        sensor_name = name if len(spec.statuses) == 1 else f"{name}_{status.lower()}"
        built.append(
            run_status_sensor(
                run_status=DagsterRunStatus[status],
                name=sensor_name,
                monitored_jobs=[jobs[j].definition for j in spec.watch],
                request_job=launched,
                minimum_interval_seconds=spec.minimum_interval_seconds,
                default_status=sensor_status(spec.enabled),
                description=f"on {status} of {', '.join(spec.watch)}: "
                + " and ".join(
                    filter(None, [spec.job and f"launch {spec.job}", spec.webhook and "POST webhook"])
                ),
            )(_react(sensor_name, spec, status))
        )
    return built


def _react(sensor_name: str, spec: RunStatusSensor, status: str) -> Callable[[RunStatusSensorContext], Any]:
    def react(context: RunStatusSensorContext) -> RunRequest | SkipReason:
        run = context.dagster_run
        if spec.webhook:
            notify(
                spec.webhook, spec.webhook_timeout_seconds, _payload(sensor_name, status, context), context
            )
        if spec.job:
            return RunRequest(
                run_key=f"{run.run_id}:{status}",
                tags={FLOE_SENSOR_TAG: sensor_name, "floe/triggered_by": run.run_id},
            )
        return SkipReason(f"notified {spec.webhook} of run {run.run_id} ({status})")

    return react


def _payload(sensor_name: str, status: str, context: RunStatusSensorContext) -> dict[str, Any]:
    run = context.dagster_run
    event = context.dagster_event
    return {
        "sensor": sensor_name,
        "status": status,
        "job": run.job_name,
        "run_id": run.run_id,
        "message": getattr(event, "message", None),
        "tags": dict(run.tags),
    }
