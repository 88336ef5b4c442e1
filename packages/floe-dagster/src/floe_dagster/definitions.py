"""`FloeDefinitions.from_compiled_artifacts()`: the whole code location from `.floe/compiled_artifacts.json`.

Thin on purpose: it locates the artifacts and composes one builder per concern.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

from dagster import AssetsDefinition, Definitions
from floe_core.artifacts import CompiledArtifacts

from floe_dagster.dbt_assets import (
    PartitionsFor,
    build_dbt_assets,
    dbt_origins,
    dbt_project_specs,
    scoped_dbt_assets,
)
from floe_dagster.gc_pause import collector_paused
from floe_dagster.locate import find_artifacts, load_artifacts
from floe_dagster.modules import load_asset_modules, reject_duplicates
from floe_dagster.observability import Observability
from floe_dagster.orchestration import apply_orchestration
from floe_dagster.resources import build_resources


class FloeDefinitions:
    """Factory for the Dagster `Definitions` of a compiled floe project."""

    @classmethod
    def from_compiled_artifacts(cls, path: str | Path | None = None) -> Definitions:
        """Definitions from `path`, else $FLOE_ARTIFACTS, else `.floe/compiled_artifacts.json` next to the
        nearest floe.yaml above the calling file (then above the cwd)."""
        caller = sys._getframe(1).f_code.co_filename
        return build_definitions(load_artifacts(find_artifacts(path, caller)))


@collector_paused()  # a third of the build was collector passes over objects that stay alive: see gc_pause
def build_definitions(
    artifacts: CompiledArtifacts, partitions_for: PartitionsFor | None = None
) -> Definitions:
    observer = Observability.from_artifacts(artifacts)
    python = load_asset_modules(
        artifacts.spec.orchestration.asset_modules, artifacts.root, artifacts.resolve(artifacts.spec_path)
    )
    project = dbt_project_specs(artifacts)  # derived once per manifest: see dbt_specs

    def dbt_assets(pf: PartitionsFor | None) -> list[AssetsDefinition]:
        return [] if project is None else build_dbt_assets(project, observer, pf)

    dbt = dbt_assets(partitions_for)
    reject_duplicates(python.origins, dbt_origins(dbt, project))
    resources = build_resources(artifacts)
    orch = apply_orchestration(  # floe.yaml orchestration: partitions, rules, jobs, schedules, sensors
        artifacts,
        observer.wrap_assets(python.assets),
        python.external,
        dbt,
        rebuild_dbt=dbt_assets,
        resources=resources,
        checks=python.checks,
        scope_dbt=None if project is None else functools.partial(scoped_dbt_assets, project, observer),
    )
    return Definitions(
        assets=[*orch.python_assets, *orch.external, *orch.dbt_assets],
        asset_checks=python.checks,
        jobs=orch.jobs,
        schedules=orch.schedules,
        sensors=[*orch.sensors, *observer.sensors()],
        resources=resources,
    )
