"""The plan's jobs, schedules and sensors, built once from the code location's final assets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dagster import AssetsDefinition, JobDefinition, ScheduleDefinition, SensorDefinition
from floe_core.errors import Issue
from floe_core.spec.orchestration.jobs import OpsJob

from floe_dagster.dbt.assets import DbtAssetsBuilder
from floe_dagster.orchestration.automation import automation_sensor
from floe_dagster.orchestration.job_scope import ScopeInputs, build_batch_job, owners_by_key
from floe_dagster.orchestration.jobs import BuiltJob, build_ops_job
from floe_dagster.orchestration.plan import External, OrchestrationPlan
from floe_dagster.orchestration.schedules import build_schedules
from floe_dagster.orchestration.sensors import build_sensors


@dataclass
class Orchestrated:
    jobs: list[JobDefinition] = field(default_factory=list)
    schedules: list[ScheduleDefinition] = field(default_factory=list)
    sensors: list[SensorDefinition] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)


def build_orchestration(
    plan: OrchestrationPlan,
    *,
    python_assets: Sequence[AssetsDefinition],
    external: Sequence[External],
    dbt_assets: Sequence[AssetsDefinition],
    dbt: DbtAssetsBuilder | None,
    checks: Sequence[AssetsDefinition],
    resources: Mapping[str, object],
    project_root: Path,
) -> Orchestrated:
    """`python_assets` as they go into the Definitions (rules applied, observed)."""
    out = Orchestrated()
    jobs: dict[str, BuiltJob] = {}
    inputs: ScopeInputs | None = None
    for name, spec in plan.config.jobs.items():
        if isinstance(spec, OpsJob):
            built = build_ops_job(name, spec, project_root, resources.keys(), out.issues)
            if built is not None:
                jobs[name] = built
            continue
        planned = plan.batch_jobs.get(name)
        if planned is None or plan.issues:  # reported; a job is built only from a sound plan
            continue
        if inputs is None:
            assert plan.job_graph is not None
            owners = owners_by_key([*python_assets, *external, *dbt_assets])
            inputs = ScopeInputs(plan.job_graph, owners, dbt_assets, checks, resources, dbt)
        jobs[name] = BuiltJob(name, build_batch_job(planned, inputs), planned.keys, planned.partitions_def)
    sensors = build_sensors(plan.config, jobs, plan.asset_keys, project_root)
    out.issues += sensors.issues
    automation = automation_sensor(plan.rules.automated_keys)
    out.jobs = [j.definition for j in jobs.values()]
    out.schedules = build_schedules(plan.config, jobs, plan.rules.automated_keys)
    out.sensors = [*sensors.sensors, *([automation] if automation else [])]
    return out
