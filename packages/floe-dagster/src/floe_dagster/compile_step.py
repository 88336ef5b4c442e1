"""The `floe.compile_steps` entry point `dbt_dagster` (runs after floe-dbt's `dbt`, steps run by name):
derives the dbt project's Dagster specs from the manifest `floe compile` just wrote and stores them in the
spec cache beside it, so that the first load of the code location after a compile is as fast as the later
ones (dbt.specs, dbt.spec_cache)."""

from __future__ import annotations

from floe_core.compile_steps import CompileContext, CompileStepResult
from floe_core.errors import FloeError

from floe_dagster.dbt import spec_cache
from floe_dagster.dbt.load import translator_for
from floe_dagster.dbt.specs import build_project_specs

MANIFEST = ("dbt", "manifest.json")  # where floe-dbt's step stages it (floe_dbt.compile_step)


def run(ctx: CompileContext) -> CompileStepResult | None:
    if ctx.spec.dbt_transform is None:
        return None
    manifest = ctx.staging_dir.joinpath(*MANIFEST)
    if not manifest.is_file():
        raise FloeError(f"the dbt step staged no manifest at {manifest}: is floe-dbt installed?")
    spec_cache.build_and_cache(manifest, translator_for(ctx.spec), build_project_specs)
    return None
