"""`orchestration:` — asset modules, dbt settings, partitions, jobs, schedules, sensors, automation, backfills."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from floe_core.spec.base import FloeModel


class DbtOrchestration(FloeModel):
    observability_level: Literal["per_model", "job_level"] = "per_model"


class OrchestrationConfig(FloeModel):
    asset_modules: list[str] = Field(default_factory=list)
    dbt: DbtOrchestration = Field(default_factory=DbtOrchestration)
