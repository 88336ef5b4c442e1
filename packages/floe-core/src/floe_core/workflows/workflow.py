"""A workflow (contract §4.1): jobs wired by depends_on, a schedule, notifications, failure policy, and
dependencies on other workflows (§8.2). Documents are accepted as the contract writes them
(`workflow: {...}`); jobs may be inline or references to job files (resolved by the loader).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Discriminator, Field, Tag

from floe_core.errors import FloeError
from floe_core.spec.base import FloeModel
from floe_core.workflows.job import JobRef, JobSpec, Name
from floe_core.workflows.notifications import Notifications
from floe_core.workflows.schedules import CronSchedule, EventSchedule, IntervalSchedule, Schedule


def job_entry_kind(value: object) -> str:
    """`{ref: ...}` and a bare `{name: ...}` are references; anything else is an inline job."""
    if isinstance(value, JobRef):
        return "job_ref"
    if isinstance(value, dict) and ("ref" in value or set(value) == {"name"}):
        return "job_ref"
    return "job_spec"


class JobEntry(FloeModel):
    """`- job: <job spec or reference>` with `depends_on: [<job names>]`."""

    job: Annotated[
        Annotated[JobSpec, Tag("job_spec")] | Annotated[JobRef, Tag("job_ref")], Discriminator(job_entry_kind)
    ]
    depends_on: list[Name] = Field(default_factory=list, description="jobs that must succeed first")

    @property
    def name(self) -> str:
        if isinstance(self.job, JobSpec):
            return self.job.name
        if self.job.name is None:  # a {ref: file} the loader has not replaced by the file's job
            raise FloeError(
                f"job reference {self.job.ref!r} is not resolved: load workflows with floe's loader"
            )
        return self.job.name

    @property
    def spec(self) -> JobSpec:
        if not isinstance(self.job, JobSpec):
            raise FloeError(
                f"job {self.name!r} is a reference not yet resolved: load workflows with floe's loader"
            )
        return self.job


class WorkflowDependency(FloeModel):
    """Contract §8.2. A run for window W waits for the upstream's windows overlapping W: with
    wait_for_completion they must have succeeded; without, they must only have been launched."""

    workflow: Name
    wait_for_completion: bool = True


class WorkflowSpec(FloeModel):
    name: Name
    description: str | None = None
    schedule: Schedule | None = Field(default=None, description="cron, interval or event; none = manual only")
    jobs: list[JobEntry] = Field(min_length=1)
    notifications: Notifications = Field(default_factory=Notifications)
    on_failure: Literal["stop_downstream", "continue"] = Field(
        default="stop_downstream",
        description="after a job fails for good: skip the jobs depending on it (default), or run them anyway",
    )
    dependencies: list[WorkflowDependency] = Field(default_factory=list)

    @property
    def windowed_schedule(self) -> CronSchedule | IntervalSchedule | None:
        """The schedule when it partitions the workflow into windows (cron or interval), else None."""
        return self.schedule if isinstance(self.schedule, CronSchedule | IntervalSchedule) else None

    @property
    def event_schedule(self) -> EventSchedule | None:
        return self.schedule if isinstance(self.schedule, EventSchedule) else None

    def job(self, name: str) -> JobSpec:
        for entry in self.jobs:
            if entry.name == name:
                return entry.spec
        raise FloeError(f"workflow {self.name!r} has no job {name!r}: {', '.join(e.name for e in self.jobs)}")


class WorkflowDocument(FloeModel):
    """A workflow file as the contract writes it: `workflow: {name: ..., jobs: [...]}`."""

    workflow: WorkflowSpec
