"""The approval gate on Dagster: holding a run, the decision job, the timeout.

Dagster has no human-in-the-loop state (its issues #11661, #14681), so the gate lives beside the run: a
finished run whose quality checks failed is marked PENDING_APPROVAL in its tags (it holds no worker while it
waits: it has ended), the policy's channels are told, and a decision arrives as a run of the small job
`floe_approval_decision` (launched by `floe workflow approve/reject` through the API, or from the Dagster UI
with its config), which records who, when and why on the upstream run. The `floe_approvals` sensor then
sends `on_approval` once, and rejects runs whose deadline passed.
"""

# no `from __future__ import annotations`: Dagster reads the op's config annotation at definition time

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Literal

from dagster import Config, DagsterInstance, DagsterRun, Failure, OpExecutionContext, job, op
from floe_core.triggers.approval import (
    APPROVAL_TAG,
    DEADLINE_TAG,
    FAILED_CHECKS_TAG,
    PENDING,
    ApprovalNotice,
    decision_tags,
)
from floe_core.triggers.spec import ApprovalPolicy
from floe_core.urls import DEFAULT_DAGSTER_URL
from floe_core.workflows import NotificationSettings
from floe_core.workflows.notify import notify_failure

DECISION_JOB = "floe_approval_decision"
UI_URL_ENV = "DAGSTER_URL"


def hold(
    instance: DagsterInstance,
    run: DagsterRun,
    policy: ApprovalPolicy,
    failed: list[str],
    *,
    notifications: NotificationSettings,
    warning: Callable[[str], None],
) -> str:
    """Mark `run` PENDING_APPROVAL (once) and tell the policy's channels; what happened, for the tick."""
    if run.tags.get(APPROVAL_TAG):
        return f"run {run.run_id} is already {run.tags[APPROVAL_TAG]}"
    deadline = datetime.now(UTC) + timedelta(seconds=policy.timeout_seconds)
    instance.add_run_tags(
        run.run_id,
        {
            APPROVAL_TAG: PENDING,
            DEADLINE_TAG: deadline.isoformat(timespec="seconds"),
            FAILED_CHECKS_TAG: ", ".join(failed)[:500],
        },
    )
    base = os.environ.get(UI_URL_ENV, DEFAULT_DAGSTER_URL).rstrip("/")
    notice = ApprovalNotice(
        workflow=run.job_name,
        run_id=run.run_id,
        run_url=f"{base}/runs/{run.run_id}",
        failed_checks=failed,
        deadline=deadline.isoformat(timespec="seconds"),
    )
    outcome = notify_failure(notice, policy.notify, notifications, warning)
    return f"run {run.run_id} waits for approval ({', '.join(failed)}); {outcome.describe()}"


class ApprovalDecision(Config):
    """What `floe workflow approve/reject` sends (the API launches this job with it)."""

    run_id: str
    decision: Literal["APPROVED", "REJECTED"]
    decided_by: str
    reason: str = ""


@op(name="record_approval_decision")
def record_decision(context: OpExecutionContext, config: ApprovalDecision) -> None:
    upstream = context.instance.get_run_by_id(config.run_id)
    if upstream is None:
        raise Failure(f"no run {config.run_id}")
    state = upstream.tags.get(APPROVAL_TAG)
    if state != PENDING:
        raise Failure(
            f"run {config.run_id} is not waiting for approval (it is {state or 'not under an approval gate'})"
        )
    tags = decision_tags(config.decision, config.decided_by, datetime.now(UTC), config.reason or None)
    context.instance.add_run_tags(config.run_id, tags)
    context.log.info(f"run {config.run_id} {config.decision} by {config.decided_by}: {config.reason}")


@job(name=DECISION_JOB, description="records an approval decision on a run waiting for approval")
def decision_job() -> None:
    record_decision()
