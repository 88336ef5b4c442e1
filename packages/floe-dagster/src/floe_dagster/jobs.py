"""`orchestration.jobs`: batch jobs (asset selections resolved once at load) and ops jobs (a function).

A batch job's selection is resolved to explicit asset keys here, at load, so Dagster plans one step per
multi-asset: all selected dbt models of one partitions definition run in ONE dbt invocation.
"""

# No `from __future__ import annotations` here: Dagster inspects the op's `context` annotation at runtime.

import inspect
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster import (
    AssetKey,
    AssetSelection,
    Field,
    JobDefinition,
    OpExecutionContext,
    PartitionsDefinition,
    define_asset_job,
    job,
    op,
)
from dagster._core.definitions.assets.graph.asset_graph import AssetGraph
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition
from floe_core.errors import Issue
from floe_core.paths import format_path
from floe_core.spec.orchestration import OrchestrationConfig
from floe_core.spec.orchestration.jobs import BatchJob, OpsJob, ParamValue

from floe_dagster.asset_rules import match_pattern
from floe_dagster.targets import import_target

FLOE_JOB_TAG = "floe/job"


@dataclass
class BuiltJob:
    """A job plus what schedules, sensors and backfills need to know about it."""

    name: str
    definition: UnresolvedAssetJobDefinition | JobDefinition
    keys: frozenset[AssetKey] = frozenset()
    partitions_def: PartitionsDefinition | None = None


@dataclass
class BuiltJobs:
    jobs: dict[str, BuiltJob] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)


def build_jobs(
    config: OrchestrationConfig, graph: AssetGraph, project_root: Path, resource_keys: Collection[str]
) -> BuiltJobs:
    out = BuiltJobs()
    for name, spec in config.jobs.items():
        path = ("orchestration", "jobs", name)
        if isinstance(spec, BatchJob):
            built = _batch(name, spec, graph, path, out.issues)
        else:
            built = _ops(
                name,
                spec,
                project_root=project_root,
                resource_keys=resource_keys,
                path=path,
                issues=out.issues,
            )
        if built is not None:
            out.jobs[name] = built
    return out


def batch_keys(
    spec: BatchJob, graph: AssetGraph, path: tuple[str | int, ...], issues: list[Issue]
) -> set[AssetKey]:
    """Union of the job's selection, groups, keys and tags (each tag pair must match)."""
    keys: set[AssetKey] = set()
    if spec.selection:
        try:
            keys |= match_pattern(spec.selection, graph)
        except ValueError as exc:
            issues.append(Issue(format_path((*path, "selection")), str(exc), spec.selection))
    if spec.groups:
        keys |= set(AssetSelection.groups(*spec.groups).resolve(graph, allow_missing=True))
    for i, pattern in enumerate(spec.keys):
        matched = match_pattern(pattern, graph) if "*" in pattern else _exact(pattern, graph)
        if not matched:
            issues.append(Issue(format_path((*path, "keys", i)), "no asset has this key", pattern))
        keys |= matched
    if spec.tags:
        tagged = set(graph.get_all_asset_keys())
        for tag_key, tag_value in spec.tags.items():
            tagged &= set(AssetSelection.tag(tag_key, tag_value).resolve(graph, allow_missing=True))
        keys |= tagged
    return keys


def _exact(key: str, graph: AssetGraph) -> set[AssetKey]:
    wanted = AssetKey([p for p in key.split("/") if p])
    return {wanted} if wanted in graph.get_all_asset_keys() else set()


def _batch(
    name: str, spec: BatchJob, graph: AssetGraph, path: tuple[str | int, ...], issues: list[Issue]
) -> BuiltJob | None:
    before = len(issues)
    keys = batch_keys(spec, graph, path, issues)
    if not keys:
        if len(issues) == before:  # FR-023
            issues.append(
                Issue(
                    format_path(path),
                    f"job '{name}' selects no asset: check its selection, groups, keys and tags",
                )
            )
        return None
    materializable = {k for k in keys if graph.get(k).is_materializable}
    if not materializable:
        issues.append(Issue(format_path(path), f"job '{name}' selects only external assets, nothing to run"))
        return None
    defs = {graph.get(k).partitions_def for k in materializable} - {None}
    if len(defs) > 1:
        issues.append(
            Issue(
                format_path(path),
                f"job '{name}' selects assets with {len(defs)} different partitions definitions: a"
                " Dagster job runs one partition scheme; split it into one job per scheme",
            )
        )
        return None
    partitions_def = next(iter(defs)) if defs else None
    ordered = sorted(materializable, key=lambda k: k.to_user_string())
    definition = define_asset_job(
        name,
        selection=AssetSelection.assets(*ordered),
        description=spec.description,
        tags={FLOE_JOB_TAG: name, **spec.run_tags},
        partitions_def=partitions_def,
    )
    return BuiltJob(name, definition, frozenset(materializable), partitions_def)


def _ops(
    name: str,
    spec: OpsJob,
    *,
    project_root: Path,
    resource_keys: Collection[str],
    path: tuple[str | int, ...],
    issues: list[Issue],
) -> BuiltJob | None:
    try:
        function = import_target(spec.target, project_root)
    except ValueError as exc:
        issues.append(Issue(format_path((*path, "target")), str(exc), spec.target))
        return None
    parameters = inspect.signature(function).parameters
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    unknown = [k for k in [*spec.args, *spec.params] if k not in parameters and not accepts_any]
    if unknown:
        issues.append(
            Issue(
                format_path(path),
                f"{spec.target} has no parameter(s) {unknown}; its parameters: {list(parameters)}",
                unknown,
            )
        )
        return None
    resources = {p for p in parameters if p in resource_keys and p not in spec.args and p not in spec.params}
    return BuiltJob(name, _ops_job(name, spec, function, resources, "context" in parameters))


def _config_field(default: ParamValue) -> Field:
    kind: Any = type(default) if not isinstance(default, list) else [type(default[0]) if default else str]
    return Field(kind, default_value=default, is_required=False)


def _ops_job(
    name: str, spec: OpsJob, function: Callable[..., Any], resources: set[str], wants_context: bool
) -> JobDefinition:
    @op(
        name=f"{name}_op",
        config_schema={key: _config_field(value) for key, value in spec.params.items()},
        required_resource_keys=resources,
        description=spec.description or f"runs {spec.target}",
    )
    def _run(context: OpExecutionContext) -> Any:
        kwargs: dict[str, Any] = {**spec.args, **context.op_config}
        kwargs.update({key: getattr(context.resources, key) for key in resources})
        if wants_context:
            kwargs["context"] = context
        context.log.info(f"running {spec.target} with {sorted(kwargs)}")
        result = function(**kwargs)
        if isinstance(result, Mapping):
            context.add_output_metadata({str(k): _metadata_value(v) for k, v in result.items()})
        return result

    @job(name=name, description=spec.description, tags={FLOE_JOB_TAG: name, **spec.run_tags})
    def _job() -> None:
        _run()

    return _job


def _metadata_value(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) else str(value)
