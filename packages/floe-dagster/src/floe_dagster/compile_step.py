"""The `floe.compile_steps` entry point `dbt_dagster` (runs after floe-dbt's `dbt`, steps run by name):
derives the dbt project's Dagster specs from the manifest `floe compile` just wrote and stores them in the
spec cache beside it, so that the first load of the code location after a compile is as fast as the later
ones (dbt.specs, dbt.spec_cache); and checks that every resource the Python assets need is one the active
compute target provides (resources.missing_resources), with the asset_modules entry's floe.yaml line."""

from __future__ import annotations

from floe_core.compile_steps import CompileContext, CompileStepResult
from floe_core.errors import FloeError, FloeValidationError, Issue
from floe_core.loader import read_config
from floe_core.yaml_source import load_yaml

from floe_dagster.dbt import spec_cache
from floe_dagster.dbt.load import translator_for
from floe_dagster.dbt.specs import build_project_specs
from floe_dagster.resources import missing_resources, missing_resources_message, provided_keys
from floe_dagster.user_code import UserCodeError, load_asset_modules

MANIFEST = ("dbt", "manifest.json")  # where floe-dbt's step stages it (floe_dbt.compile_step)


def run(ctx: CompileContext) -> CompileStepResult | None:
    check_asset_resources(ctx)
    if ctx.spec.dbt_transform is None:
        return None
    manifest = ctx.staging_dir.joinpath(*MANIFEST)
    if not manifest.is_file():
        raise FloeError(f"the dbt step staged no manifest at {manifest}: is floe-dbt installed?")
    spec_cache.build_and_cache(manifest, translator_for(ctx.spec), build_project_specs)
    return None


def check_asset_resources(ctx: CompileContext) -> None:
    """Every resource the Python assets (and checks) of each asset_modules entry need is provided for the
    active target; else one problem per entry, `floe.yaml:LINE: orchestration.asset_modules[i]: ...`.

    An entry that fails to import is left to the load, which reports it with its traceback's last frame."""
    name = ctx.spec.compute.default
    target = ctx.spec.compute.targets[name]
    provided = provided_keys(target, has_dbt=ctx.spec.dbt_transform is not None)
    entries = ctx.spec.orchestration.asset_modules
    problems: list[tuple[int, str, str]] = []
    for index, entry in enumerate(entries):
        try:
            found = load_asset_modules([entry], ctx.project_root, ctx.spec_path)
        except UserCodeError:
            continue
        missing = missing_resources([*found.assets, *found.checks], provided)
        if missing:
            problems.append((index, entry, missing_resources_message(name, target.type, missing, provided)))
    if not problems:
        return
    try:
        doc = load_yaml(read_config(ctx.spec_path), str(ctx.spec_path))
        lines = {i: doc.line_of(("orchestration", "asset_modules", i)) for i, _, _ in problems}
    except FloeError:
        lines = {}
    issues = [
        Issue(f"orchestration.asset_modules[{i}]", message, entry, lines.get(i))
        for i, entry, message in problems
    ]
    raise FloeValidationError(issues, str(ctx.spec_path))
