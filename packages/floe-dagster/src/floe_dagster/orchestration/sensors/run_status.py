"""`type: run_status`: on a watched job's SUCCESS/FAILURE/…, launch a job and/or POST a webhook."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dagster import (
    DagsterEvent,
    DagsterEventType,
    DagsterInstance,
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
        said = ""
        if spec.webhook:
            payload = _payload(sensor_name, status, context)
            said = notify(spec.webhook, spec.webhook_timeout_seconds, payload, context).describe(spec.webhook)
        if spec.job:
            return RunRequest(
                run_key=f"{run.run_id}:{status}",
                tags={FLOE_SENSOR_TAG: sensor_name, "floe/triggered_by": run.run_id},
            )
        return SkipReason(f"run {run.run_id} ({status}): {said}")

    return react


MAX_ERROR_CHARS = 2000


def _payload(sensor_name: str, status: str, context: RunStatusSensorContext) -> dict[str, Any]:
    run = context.dagster_run
    event = context.dagster_event
    return {
        "sensor": sensor_name,
        "status": status,
        "job": run.job_name,
        "run_id": run.run_id,
        "message": getattr(event, "message", None),
        "errors": run_errors(context.instance, context.dagster_run.run_id, context.dagster_event)
        if status == "FAILURE"
        else [],
        # Dagster's own tags (".dagster/grpc_info": host and socket of the code server) are not the receiver's
        "tags": {k: v for k, v in run.tags.items() if not k.startswith(".")},
    }


def run_errors(instance: DagsterInstance, run_id: str, run_event: DagsterEvent | None) -> list[str]:
    """What failed, as the UI shows it: each failed step's error (bounded), else the run's own error."""
    messages: list[str] = []
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.STEP_FAILURE, limit=20).records
    for record in records:
        event = record.event_log_entry.dagster_event
        error = getattr(getattr(event, "step_failure_data", None), "error", None)
        if error is not None:
            messages.append(f"{event.step_key}: {_root_message(error)}"[:MAX_ERROR_CHARS])  # type: ignore[union-attr]
    if not messages:
        error = getattr(getattr(run_event, "job_failure_data", None), "error", None)
        if error is not None:
            messages.append(_root_message(error)[:MAX_ERROR_CHARS])
    return messages


def _root_message(error: Any) -> str:
    """The user's exception ("RuntimeError: disk full"), not Dagster's wrapper ("Error occurred while
    executing op ..."): the innermost cause of the serialized error."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    return str(error.message).strip()
