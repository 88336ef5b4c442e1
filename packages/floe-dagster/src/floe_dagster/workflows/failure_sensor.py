"""The run-failure sensor that sends a workflow's `notifications.on_failure` (floe_core.workflows.notify).

One sensor for every workflow that asks for notifications, watching their jobs. Its tick message says which
channels were notified and which were not (never a secret); the run's outcome is never touched.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from dagster import (
    DagsterEventType,
    DefaultSensorStatus,
    JobDefinition,
    RunFailureSensorContext,
    SensorDefinition,
    SkipReason,
    run_failure_sensor,
)
from floe_core.urls import DEFAULT_DAGSTER_URL
from floe_core.workflows import WorkflowSet
from floe_core.workflows.notify import FailureNotice, notify_failure

from floe_dagster.orchestration.jobs import WORKFLOW_TAG
from floe_dagster.orchestration.sensors.run_status import run_errors
from floe_dagster.workflows.build import OUTCOME_SUFFIX
from floe_dagster.workflows.run_tags import DATE_TAG

SENSOR_NAME = "floe_workflow_failure_notifications"
UI_URL_ENV = "DAGSTER_URL"  # where people open the Dagster UI (also `floe backfill --submit`'s default)


def failure_notification_sensor(
    workflows: WorkflowSet, jobs: Sequence[JobDefinition]
) -> SensorDefinition | None:
    """None when no workflow asks for failure notifications."""
    channels = {
        w.name: w.spec.notifications.on_failure
        for w in workflows.workflows
        if w.spec.notifications.on_failure
    }
    if not channels:
        return None
    settings = workflows.notifications

    @run_failure_sensor(
        name=SENSOR_NAME,
        monitored_jobs=[j for j in jobs if j.name in channels],
        default_status=DefaultSensorStatus.RUNNING,
        description="sends the failure notifications of workflows: " + ", ".join(sorted(channels)),
    )
    def notify(context: RunFailureSensorContext) -> SkipReason:
        run = context.dagster_run
        workflow = run.tags.get(WORKFLOW_TAG, run.job_name)
        if workflow not in channels:
            return SkipReason(f"run {run.run_id}: workflow {workflow} has no failure notifications")
        records = context.instance.get_records_for_run(
            run.run_id, of_type=DagsterEventType.STEP_FAILURE, limit=100
        ).records
        failed = sorted(
            {key for r in records if (key := r.event_log_entry.step_key) and not key.endswith(OUTCOME_SUFFIX)}
        )
        base = os.environ.get(UI_URL_ENV, DEFAULT_DAGSTER_URL).rstrip("/")
        notice = FailureNotice(
            workflow=workflow,
            run_id=run.run_id,
            failed_jobs=failed,
            errors=run_errors(context.instance, run.run_id, context.failure_event),
            run_url=f"{base}/runs/{run.run_id}",
            execution_date=run.tags.get("dagster/partition") or run.tags.get(DATE_TAG),
        )
        outcome = notify_failure(notice, channels[workflow], settings, context.log.warning)
        return SkipReason(f"run {run.run_id}: {outcome.describe()}")

    return notify
