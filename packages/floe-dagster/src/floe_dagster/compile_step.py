"""The `floe.compile_steps` entry point `dbt_dagster` (runs after floe-dbt's `dbt`, steps run by name):
derives the dbt project's Dagster specs from the manifest `floe compile` just wrote and stores them in the
spec cache beside it, so that the first load of the code location after a compile is as fast as the later
ones (dbt.specs, dbt.spec_cache); and checks that every resource the Python assets need is one the active
compute target provides (resources.missing_resources), with the asset_modules entry's floe.yaml line."""

from __future__ import annotations

import dataclasses
import warnings

from dagster import AssetKey, AssetsDefinition, BetaWarning, PreviewWarning, SourceAsset
from floe_core.compile_steps import CompileContext, CompileStepResult
from floe_core.errors import FloeError, FloeValidationError, Issue
from floe_core.loader import read_config
from floe_core.paths import format_path, parse_path
from floe_core.suggest import closest
from floe_core.yaml_source import YamlDocument, load_yaml

from floe_dagster.dbt import spec_cache
from floe_dagster.dbt.load import translator_for
from floe_dagster.dbt.specs import DbtProjectSpecs, build_project_specs
from floe_dagster.orchestration.plan import plan_orchestration
from floe_dagster.resources import missing_resources, missing_resources_message, provided_keys
from floe_dagster.user_code import ModuleDefinitions, UserCodeError, load_asset_modules

MANIFEST = ("dbt", "manifest.json")  # where floe-dbt's step stages it (floe_dbt.compile_step)


def run(ctx: CompileContext) -> CompileStepResult | None:
    check_asset_resources(ctx)
    dbt = None
    if ctx.spec.dbt_transform is not None:
        manifest = ctx.staging_dir.joinpath(*MANIFEST)
        if not manifest.is_file():
            raise FloeError(f"the dbt step staged no manifest at {manifest}: is floe-dbt installed?")
        dbt = spec_cache.build_and_cache(manifest, translator_for(ctx.spec), build_project_specs)
    check_orchestration(ctx, dbt)
    return None


def check_orchestration(ctx: CompileContext, dbt: DbtProjectSpecs | None) -> None:
    """What the load would reject in floe.yaml's orchestration, said by the compile with lines: selections
    that name no asset, rules, partitions and backfills that do not fit (orchestration.plan), and dbt sources
    mapped to an asset key nothing makes (the source would silently lose its upstream)."""
    try:
        modules = load_asset_modules(ctx.spec.orchestration.asset_modules, ctx.project_root, ctx.spec_path)
    except UserCodeError:
        return  # the load reports it, with its traceback's last frame
    with warnings.catch_warnings():  # Dagster's beta/preview notices about its own selection code
        warnings.simplefilter("ignore", BetaWarning)
        warnings.simplefilter("ignore", PreviewWarning)
        plan = plan_orchestration(ctx.spec.orchestration, modules.assets, modules.external, dbt)
    issues = [*plan.issues, *unmade_source_keys(ctx, modules)]
    if issues:
        raise FloeValidationError(_with_lines(ctx, issues), str(ctx.spec_path))


def unmade_source_keys(ctx: CompileContext, modules: ModuleDefinitions) -> list[Issue]:
    """A dbt source mapped to a key no asset makes but close to one that is: a typo, which would silently
    cut the source from its upstream. A key unlike any is taken as made elsewhere (another code location)
    and becomes an external asset, as documented (docs/dagster.md)."""
    doc = _document(ctx)  # source names hold dots (`bronze.raw_orders`): lines found by the path tuple
    made = {k.to_user_string() for a in [*modules.assets, *modules.external] for k in _keys(a)}
    issues = []
    for name, key in ctx.spec.orchestration.dbt.sources.items():
        hint = closest(key, sorted(made)) if key not in made else None
        if hint is None:
            continue
        where = ("orchestration", "dbt", "sources", name)
        message = (
            f"no asset of asset_modules has the key {key!r}, so dbt source {name} would have no upstream;"
            f" did you mean {hint!r}? (a key made in another code location: declare it as an AssetSpec)"
        )
        issues.append(Issue(format_path(where), message, key, doc.line_of(where) if doc else None))
    return issues


def _keys(assets: AssetsDefinition | SourceAsset) -> list[AssetKey]:
    return [assets.key] if isinstance(assets, SourceAsset) else list(assets.keys)


def _document(ctx: CompileContext) -> YamlDocument | None:
    try:
        return load_yaml(read_config(ctx.spec_path), str(ctx.spec_path))
    except FloeError:
        return None


def _with_lines(ctx: CompileContext, issues: list[Issue]) -> list[Issue]:
    doc = _document(ctx)
    if doc is None:
        return issues
    return [
        i if i.line is not None else dataclasses.replace(i, line=doc.line_of(parse_path(i.path)))
        for i in issues
    ]


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
