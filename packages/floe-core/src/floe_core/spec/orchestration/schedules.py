"""`orchestration.schedules`: cron schedules for jobs (FR-024..FR-029)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from floe_core.spec.base import FloeModel
from floe_core.spec.orchestration._common import Cron, Name, Timezone


class ScheduleConfig(FloeModel):
    job: Name = Field(description="name of an orchestration.jobs entry")
    cron: Cron
    timezone: Timezone = "UTC"
    enabled: bool = Field(default=True, description="running by default; works with ${VAR:default}")
    partition_selector: Literal["latest", "all"] = Field(
        default="latest",
        description="partitioned jobs: 'latest' runs the last complete partition at the tick, 'all' every"
        " partition not yet requested by this schedule",
    )
    description: str | None = None
