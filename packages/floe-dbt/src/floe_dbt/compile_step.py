"""The `floe.compile_steps` entry point `dbt`: write profiles.yml, run `dbt parse`, report DbtArtifacts.

Layout under the output folder (written to the staging folder; the compiler moves it into place only if
every step succeeded, so a failed parse leaves the previous manifest intact):
    profiles/profiles.yml   every compute target an output, secrets as {{ env_var('X') }}
    dbt/manifest.json       from `dbt parse --target <compute.default>`
    dbt/logs/               dbt's log of that parse
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import yaml
from floe_core.artifacts import DbtArtifacts
from floe_core.compile_steps import CompileContext, CompileStepResult
from floe_core.errors import FloeError
from floe_core.spec.transforms import DbtTransform

from floe_dbt.adapters import check_active_adapter
from floe_dbt.manifest import load_manifest
from floe_dbt.profiles import (
    DbtOutput,
    LocalPaths,
    active_target,
    env_vars_referenced,
    render_output,
    write_profiles,
)
from floe_dbt.runner import DbtInvocation, check, run_dbt

PROFILES_DIR = "profiles"
DBT_DIR = "dbt"
PARTIAL_PARSE_FILE = "partial_parse.msgpack"
# `dbt parse` renders env_var() in the active output but never connects, so an unset secret may be
# replaced by a stand-in for the parse. The stand-ins live only in the dbt subprocess's environment.
_PLACEHOLDER_TEXT = "floe-unset-at-compile-time"
_PLACEHOLDER_NUMBER = "0"


def run(ctx: CompileContext) -> CompileStepResult:
    active = active_target(ctx.spec, LocalPaths(floe_dir=ctx.project_root))
    transform = ctx.spec.dbt_transform
    if transform is None:
        return CompileStepResult(dbt=None, target=active)
    project_dir = _project_dir(ctx, transform)
    check_active_adapter(ctx.spec, ctx.spec_path)  # else dbt's "Could not find adapter type", no hint
    profile_name = transform.profile_name or _project_profile(project_dir)
    target = ctx.spec.compute.default

    paths = LocalPaths(floe_dir=ctx.project_root, dbt_dir=project_dir)
    write_profiles(ctx.staging_dir / PROFILES_DIR / "profiles.yml", ctx.spec, profile_name, paths)
    invocation = DbtInvocation(
        project_dir=project_dir,
        profiles_dir=ctx.staging_dir / PROFILES_DIR,
        profile=profile_name,
        target=target,
        target_path=ctx.staging_dir / DBT_DIR,
        log_path=ctx.staging_dir / DBT_DIR / "logs",
        extra_env=_placeholders(render_output(target, ctx.spec.compute.targets[target], paths), os.environ),
    )
    _install_packages_if_missing(project_dir, invocation)
    _reuse_partial_parse(ctx)
    check(run_dbt(["parse"], invocation), f"dbt parse of {project_dir}")
    load_manifest(ctx.staging_dir / DBT_DIR / "manifest.json")  # fail now, not when dagster loads it

    return CompileStepResult(
        dbt=DbtArtifacts(
            project_dir=ctx.relative(project_dir),
            profiles_dir=ctx.relative(ctx.output_dir / PROFILES_DIR),
            profile_name=profile_name,
            target=target,
            manifest_path=ctx.relative(ctx.output_dir / DBT_DIR / "manifest.json"),
        ),
        target=active,
    )


def _reuse_partial_parse(ctx: CompileContext) -> None:
    """Start dbt from the previous compile's parse state, so it re-parses only what changed.

    dbt keeps `partial_parse.msgpack` in its target folder, which for `floe compile` is a fresh staging
    folder every time: without this every compile was a full parse (36 s at 5000 models instead of a few).
    dbt itself decides whether the state still applies (dbt version, profile, vars, file checksums) and
    parses everything again when it does not."""
    previous = ctx.output_dir / DBT_DIR / PARTIAL_PARSE_FILE
    if previous.is_file():
        staged = ctx.staging_dir / DBT_DIR / PARTIAL_PARSE_FILE
        staged.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(previous, staged)


def _project_dir(ctx: CompileContext, transform: DbtTransform) -> Path:
    project_dir = (ctx.project_root / transform.path).resolve()
    if not (project_dir / "dbt_project.yml").is_file():
        raise FloeError(
            f"{ctx.spec_path}: transforms path {transform.path!r}: no dbt_project.yml in {project_dir}"
            " (expected a dbt project folder, relative to floe.yaml)"
        )
    return project_dir


def _project_profile(project_dir: Path) -> str:
    path = project_dir / "dbt_project.yml"
    try:
        project = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise FloeError(f"{path} cannot be read: {exc}") from exc
    profile = project.get("profile") if isinstance(project, dict) else None
    if not isinstance(profile, str) or not profile:
        raise FloeError(
            f"{path} has no `profile:`; set it there or set `profile_name` on the dbt transform in floe.yaml"
        )
    return profile


def _placeholders(output: DbtOutput, environ: Mapping[str, str]) -> dict[str, str]:
    refs = env_vars_referenced(output)
    return {
        name: _PLACEHOLDER_NUMBER if numeric else _PLACEHOLDER_TEXT
        for name, numeric in refs.items()
        if name not in environ
    }


def _install_packages_if_missing(project_dir: Path, invocation: DbtInvocation) -> None:
    declares = any((project_dir / f).is_file() for f in ("packages.yml", "dependencies.yml"))
    if declares and not (project_dir / "dbt_packages").is_dir():
        deps = DbtInvocation(project_dir=project_dir, env=invocation.env, extra_env=invocation.extra_env)
        check(run_dbt(["deps"], deps), f"dbt deps in {project_dir}")
