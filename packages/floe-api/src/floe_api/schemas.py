"""Request and response bodies of the workflow API (seed 001 §3), and its error body."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from floe_api.status import RunStatus

Scalar = str | int | float | bool | None
Params = dict[str, Scalar]


class Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceType(StrEnum):
    MANUAL = "MANUAL"
    CODE = "CODE"


class WorkflowState(StrEnum):
    active = "active"
    paused = "paused"
    disabled = "disabled"


class ErrorBody(Body):
    code: str = Field(description="WORKFLOW_NOT_FOUND, WORKFLOW_ALREADY_EXISTS, ... (docs/workflow-api.md)")
    message: str
    problems: list[str] = Field(default_factory=list, description="every problem of an invalid workflow")


class RunRequest(Body):
    params: Params = Field(default_factory=dict)
    dry_run: bool = False


class PlannedJob(Body):
    """One container run of a dry run's plan (floe_core.workflows.render_plan)."""

    job: str
    image: str
    argv: list[str]
    env: dict[str, str] = Field(description="rendered; secrets shown as references, never values")
    depends_on: list[str]


class RunResponse(Body):
    run_id: str | None = Field(description="Dagster's run id; null for a dry run")
    dataset_name: str
    status: RunStatus
    triggered_by: str
    params: Params
    started_at: datetime | None
    dry_run: bool = False
    plan: list[PlannedJob] | None = Field(
        default=None,
        description="dry run of a MANUAL workflow: what each job would run (`floe workflow plan` shows it"
        " for the project's own workflows)",
    )


class BackfillRequest(Body):
    start_date: date
    end_date: date
    params: Params = Field(default_factory=dict)
    dry_run: bool = False
    parallel: bool = True


class BackfillResponse(Body):
    backfill_id: str
    dataset_name: str
    start_date: date
    end_date: date
    run_ids: list[str]
    status: RunStatus
    total_runs: int
    dry_run: bool = False


class StopRequest(Body):
    reason: str | None = Field(default=None, max_length=1000)


class StopResponse(Body):
    run_id: str
    status: RunStatus
    stopped_by: str
    stopped_at: datetime
    reason: str | None


class ApprovalRequest(Body):
    reason: str | None = Field(default=None, max_length=500)


class ApprovalResponse(Body):
    """A decision on a run waiting for approval (PENDING_APPROVAL), as recorded on the run in Dagster."""

    run_id: str
    decision: Literal["APPROVED", "REJECTED"]
    status: RunStatus
    decided_by: str
    decided_at: datetime
    reason: str | None
    decision_run_id: str = Field(description="the Dagster run that recorded the decision")


class Progress(Body):
    total_tasks: int
    completed_tasks: int
    failed_tasks: int
    current_task: str | None


class RunStatusResponse(Body):
    run_id: str
    dataset_name: str
    status: RunStatus
    started_at: datetime | None
    duration_seconds: int | None
    triggered_by: str
    params: Params
    logs_url: str | None
    progress: Progress | None


class Schedule(Body):
    cron: str = Field(max_length=255)
    timezone: str = Field(default="UTC", max_length=64)


class LastRun(Body):
    run_id: str
    status: RunStatus
    started_at: datetime | None
    duration_seconds: int | None


class WorkflowItem(Body):
    dataset_name: str
    status: WorkflowState
    source_type: SourceType
    owner: str
    team: str | None
    schedule: Schedule | None
    last_run: LastRun | None
    next_run: datetime | None


class HistoryItem(Body):
    run_id: str
    dataset_name: str
    status: RunStatus
    started_at: datetime | None
    ended_at: datetime | None
    duration_seconds: int | None
    triggered_by: str
    run_type: Literal["scheduled", "manual", "backfill"]


class PauseRequest(Body):
    reason: str | None = Field(default=None, max_length=1000)


class PauseResponse(Body):
    dataset_name: str
    status: WorkflowState
    paused_by: str | None
    paused_at: datetime | None
    reason: str | None


class RegisterRequest(Body):
    dataset_name: str = Field(pattern=r"^[A-Za-z0-9_]+$", max_length=255)
    source_type: Literal["MANUAL"] = "MANUAL"
    schedule: Schedule | None = None
    owner: str = Field(max_length=255)
    team: str | None = Field(default=None, max_length=255)
    description: str | None = None
    yaml_content: str = Field(max_length=1_000_000)


class RegisterResponse(Body):
    dataset_name: str
    status: WorkflowState
    source_type: SourceType
    s3_path: str = Field(description="where the YAML is stored (a folder path or an object URL)")
    dagster_job: str
    version: int
    sha256: str
    registered_by: str
    registered_at: datetime


class UnregisterResponse(Body):
    dataset_name: str
    status: Literal["unregistered"]
    s3_path_deleted: str | None
    dagster_schedules_stopped: bool
    runs_stopped: list[str]
    unregistered_by: str
