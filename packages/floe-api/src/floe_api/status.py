"""Dagster run status -> the spec's WorkflowRunStatus, and a run's progress from its step stats."""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    STOPPING = "STOPPING"
    STOPPED = "STOPPED"
    PENDING_APPROVAL = "PENDING_APPROVAL"  # the run ended, a quality check failed: a human decides


DAGSTER_STATUS: dict[str, RunStatus] = {
    "QUEUED": RunStatus.PENDING,
    "NOT_STARTED": RunStatus.PENDING,
    "MANAGED": RunStatus.PENDING,
    "STARTING": RunStatus.PENDING,
    "STARTED": RunStatus.RUNNING,
    "SUCCESS": RunStatus.SUCCESS,
    "FAILURE": RunStatus.FAILED,
    "CANCELING": RunStatus.STOPPING,
    "CANCELED": RunStatus.STOPPED,
}
FINISHED = {RunStatus.SUCCESS, RunStatus.FAILED, RunStatus.STOPPED}


# the approval gate's state, kept in the run's tags by floe's trigger sensors (floe_core.triggers.approval)
APPROVAL_TAG = "floe/approval"
APPROVAL_STATUS = {
    "PENDING_APPROVAL": RunStatus.PENDING_APPROVAL,
    "APPROVED": RunStatus.SUCCESS,  # its outcome accepted: what depends on it fires (on_approval)
    "REJECTED": RunStatus.FAILED,
}
# a run of a gated job is held a sensor tick after it ends: a run that ended this recently may still be
# held, so its SUCCESS/FAILED is not final yet (well above the sensors' interval and the daemon's loop)
SETTLE_SECONDS = 60


def map_status(dagster_status: str, tags: dict[str, str] | None = None) -> RunStatus:
    status = DAGSTER_STATUS.get(dagster_status, RunStatus.PENDING)
    approval = (tags or {}).get(APPROVAL_TAG)
    if approval in APPROVAL_STATUS and status in (RunStatus.SUCCESS, RunStatus.FAILED):
        return APPROVAL_STATUS[approval]
    return status
