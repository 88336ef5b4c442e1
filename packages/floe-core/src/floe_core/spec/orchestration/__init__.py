"""`orchestration:` — asset modules, dbt settings, partitions, jobs, schedules, sensors, automation, backfills."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from floe_core.spec.base import FloeModel
from floe_core.spec.executor import ExecutorConfig
from floe_core.spec.orchestration._common import Name
from floe_core.spec.orchestration.assets import AssetRule
from floe_core.spec.orchestration.backfills import BackfillConfig
from floe_core.spec.orchestration.jobs import JobConfig
from floe_core.spec.orchestration.partitions import PartitionsConfig
from floe_core.spec.orchestration.references import REFERENCE_ERROR, reference_problems
from floe_core.spec.orchestration.schedules import ScheduleConfig
from floe_core.spec.orchestration.sensors import SensorConfig


class DbtOrchestration(FloeModel):
    """`orchestration.dbt:` — how the dbt project becomes Dagster assets."""

    observability_level: Literal["per_model", "job_level"] = Field(
        default="per_model",
        description="per_model: lineage events and spans per dbt model; job_level: one per dbt invocation",
    )
    sources: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "dbt source 'source_name.table' -> key of the (Python) asset producing it, path parts joined"
            " by '/', e.g. {'raw.customers': 'raw_customers'}; joins Python and dbt assets into one graph"
        ),
    )


class OrchestrationConfig(FloeModel):
    asset_modules: list[str] = Field(
        default_factory=list,
        description="Python modules holding Dagster assets: dotted names or .py paths relative to floe.yaml",
    )
    dbt: DbtOrchestration = Field(default_factory=DbtOrchestration)
    executor: ExecutorConfig | None = Field(
        default=None,
        description=(
            "executor of every job floe builds (dbt, Python and workflow jobs; workflows.executor, when set,"
            " wins for workflow jobs); unset: Dagster's multiprocess default"
        ),
    )
    # -- orchestration engineer's fields (partitions, rules, jobs, schedules, sensors, backfills) --
    partitions: dict[Name, PartitionsConfig] = Field(
        default_factory=dict, description="named partition schemes"
    )
    assets: list[AssetRule] = Field(default_factory=list, description="rules applied to matching assets")
    jobs: dict[Name, JobConfig] = Field(default_factory=dict)
    schedules: dict[Name, ScheduleConfig] = Field(default_factory=dict)
    sensors: dict[Name, SensorConfig] = Field(default_factory=dict)
    backfills: dict[Name, BackfillConfig] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_references(self) -> OrchestrationConfig:
        # A safety net for specs built in code: floe.yaml's loader runs the same check on the raw section
        # (so it is reported with every schema problem) and drops these REFERENCE_ERROR copies.
        problems = reference_problems(self.model_dump(by_alias=True))
        if problems:
            raise ValidationError.from_exception_data(
                "OrchestrationConfig",
                [
                    InitErrorDetails(
                        type=PydanticCustomError(REFERENCE_ERROR, p.message), loc=p.loc, input=p.value
                    )
                    for p in problems
                ],
            )
        return self
