"""`FloeDefinitions.from_compiled_artifacts()`: the whole code location from `.floe/compiled_artifacts.json`.

Thin on purpose, data flowing one way: locate the compiled project → load what it names (the user's asset
modules, the dbt project's specs) → plan floe.yaml's orchestration on those specs → build every Dagster
object once from the plan → Definitions.
"""

from __future__ import annotations

from pathlib import Path

from dagster import Definitions
from floe_core.artifacts import CompiledArtifacts
from floe_core.errors import FloeValidationError
from floe_core.workflows import load_workflows

from floe_dagster.dbt.assets import DbtAssetsBuilder
from floe_dagster.dbt.load import project_specs
from floe_dagster.gc_pause import collector_paused
from floe_dagster.observability import Observability
from floe_dagster.orchestration.build import build_orchestration
from floe_dagster.orchestration.partitions import dynamic_key_patterns
from floe_dagster.orchestration.plan import plan_orchestration
from floe_dagster.pools import duckdb_pool, pooled
from floe_dagster.project import caller_file, find_artifacts, load_artifacts, spec_file
from floe_dagster.resources import build_resources, check_resources, duckdb_path
from floe_dagster.triggers import build_triggers
from floe_dagster.user_code import load_asset_modules, reject_duplicates
from floe_dagster.workflows import build_workflows, with_manual_workflows
from floe_dagster.workflows.build import executor_definition


class FloeDefinitions:
    """Factory for the Dagster `Definitions` of a compiled floe project."""

    @classmethod
    def from_compiled_artifacts(cls, path: str | Path | None = None) -> Definitions:
        """Definitions from `path`, else $FLOE_ARTIFACTS, else `.floe/compiled_artifacts.json` next to the
        nearest floe.yaml above the calling file (then above the cwd)."""
        caller = caller_file() if path is None else None
        return build_definitions(load_artifacts(find_artifacts(path, caller)))


@collector_paused()  # a third of the build was collector passes over objects that stay alive: see gc_pause
def build_definitions(artifacts: CompiledArtifacts) -> Definitions:
    spec, root = artifacts.spec, artifacts.root
    observer = Observability.from_artifacts(artifacts)
    modules = load_asset_modules(spec.orchestration.asset_modules, root, spec_file(artifacts))
    dbt = project_specs(artifacts)  # from the spec cache: see dbt.specs
    if dbt is not None:
        reject_duplicates(modules.origins, dbt.origins())

    plan = plan_orchestration(spec.orchestration, modules.assets, modules.external, dbt)
    key_patterns = dynamic_key_patterns(spec.orchestration)
    pool = duckdb_pool(duckdb_path(artifacts))  # one writer per DuckDB file: see pools
    builder = DbtAssetsBuilder(dbt, observer, key_patterns, pool) if dbt is not None else None
    dbt_assets = builder.build(plan.dbt_slices) if builder is not None else []
    python = pooled(observer.wrap_assets(plan.python_assets), pool)
    resources = build_resources(artifacts)
    check_resources(artifacts, [*modules.assets, *modules.checks], resources)
    orchestrated = build_orchestration(
        plan,
        python_assets=python,
        external=plan.external,
        dbt_assets=dbt_assets,
        dbt=builder,
        checks=modules.checks,
        resources=resources,
        project_root=root,
    )
    issues = [*plan.issues, *orchestrated.issues]
    if issues:
        raise FloeValidationError(issues, source=str(spec_file(artifacts)))
    workflow_set = with_manual_workflows(load_workflows(spec, spec_file(artifacts)))
    workflows = build_workflows(workflow_set, taken=orchestrated.jobs, observer=observer)
    jobs = [*orchestrated.jobs, *workflows.jobs]
    triggers_file = spec_file(artifacts).parent / spec.triggers.path if spec.triggers else None
    triggers = build_triggers(
        triggers_file, jobs, spec.workflows.notifications
    )  # re-read on every evaluation: see triggers.sensor
    return Definitions(
        assets=[*python, *plan.external, *dbt_assets],
        asset_checks=modules.checks,
        jobs=[*jobs, *triggers.jobs],
        schedules=[*orchestrated.schedules, *workflows.schedules],
        sensors=[*orchestrated.sensors, *observer.sensors(), *workflows.sensors, *triggers.sensors],
        resources=resources,
        # orchestration.executor: every job without its own executor (dbt, Python, triggers, workflows)
        executor=executor_definition(spec.orchestration.executor) if spec.orchestration.executor else None,
    )
