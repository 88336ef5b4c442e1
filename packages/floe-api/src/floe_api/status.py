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


def map_status(dagster_status: str) -> RunStatus:
    return DAGSTER_STATUS.get(dagster_status, RunStatus.PENDING)
