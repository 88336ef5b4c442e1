"""`orchestration.jobs`: batch jobs (asset selections resolved once per load) and ops jobs (a function).

A batch job's selection is resolved to explicit asset keys in the plan, so Dagster plans one step per
multi-asset: all selected dbt models of one partitions definition run in ONE dbt invocation. The job
itself is built once, from the plan, by job_scope.
"""

# No `from __future__ import annotations` here: Dagster inspects the op's `context` annotation at runtime.

import inspect
import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster import (
    AssetKey,
    AssetSelection,
    Field,
    JobDefinition,
    OpExecutionContext,
    PartitionsDefinition,
    job,
    op,
)
from floe_core.errors import Issue
from floe_core.paths import format_path
from floe_core.spec.orchestration.jobs import BatchJob, OpsJob, ParamValue
from floe_core.suggest import did_you_mean

from floe_dagster.compat import AssetGraph
from floe_dagster.keys import asset_key_from_path
from floe_dagster.orchestration.selection import graph_names, match_pattern, unmatched_terms
from floe_dagster.user_code import UserCodeError, import_target

FLOE_JOB_TAG = "floe/job"
WORKFLOW_TAG = "floe/workflow"  # the workflow API's name for the job (floe-api)
WORKFLOW_SOURCE_TAG = "floe/workflow_source"  # code: from floe.yaml or workflow files in Git
PARAMS_TAG = "floe/params"  # JSON object of parameters for a run (the workflow API sets it)


def job_tags(name: str) -> dict[str, str]:
    """What every floe.yaml job carries: its floe.yaml name, and what makes it a workflow for the API."""
    return {FLOE_JOB_TAG: name, WORKFLOW_TAG: name, WORKFLOW_SOURCE_TAG: "code"}


@dataclass(frozen=True)
class BatchJobPlan:
    """A floe.yaml batch job resolved against the planning graph: what it materializes."""

    name: str
    spec: BatchJob
    keys: frozenset[AssetKey]  # materializable, selected
    partitions_def: PartitionsDefinition | None


@dataclass
class BuiltJob:
    """A job plus what schedules, sensors and backfills need to know about it."""

    name: str
    definition: JobDefinition
    keys: frozenset[AssetKey] = frozenset()
    partitions_def: PartitionsDefinition | None = None


def batch_keys(
    spec: BatchJob, graph: AssetGraph, path: tuple[str | int, ...], issues: list[Issue]
) -> set[AssetKey]:
    """Union of the job's selection, groups, keys and tags (each tag pair must match)."""
    keys: set[AssetKey] = set()
    if spec.selection:
        where = format_path((*path, "selection"))
        try:
            keys |= match_pattern(spec.selection, graph)
            issues += [
                Issue(where, problem, spec.selection) for problem in unmatched_terms(spec.selection, graph)
            ]
        except ValueError as exc:
            issues.append(Issue(where, str(exc), spec.selection))
    for i, group in enumerate(spec.groups):
        grouped = set(AssetSelection.groups(group).resolve(graph, allow_missing=True))
        if not grouped:
            groups = graph_names(graph).groups
            issues.append(
                Issue(
                    format_path((*path, "groups", i)),
                    f"no asset is in this group{did_you_mean(group, groups)}",
                    group,
                )
            )
        keys |= grouped
    for i, pattern in enumerate(spec.keys):
        matched = match_pattern(pattern, graph) if "*" in pattern else _exact(pattern, graph)
        if not matched:
            message = f"no asset has this key{did_you_mean(pattern, graph_names(graph).keys)}"
            issues.append(Issue(format_path((*path, "keys", i)), message, pattern))
        keys |= matched
    if spec.tags:
        tagged = set(graph.get_all_asset_keys())
        for tag_key, tag_value in spec.tags.items():
            tagged &= set(AssetSelection.tag(tag_key, tag_value).resolve(graph, allow_missing=True))
        keys |= tagged
    return keys


def _exact(key: str, graph: AssetGraph) -> set[AssetKey]:
    wanted = asset_key_from_path(key)
    return {wanted} if wanted in graph.get_all_asset_keys() else set()


def plan_batch_job(name: str, spec: BatchJob, graph: AssetGraph, issues: list[Issue]) -> BatchJobPlan | None:
    """What batch job `name` materializes; None (and an Issue) when it selects nothing runnable."""
    path = ("orchestration", "jobs", name)
    before = len(issues)
    keys = batch_keys(spec, graph, path, issues)
    if not keys:
        if len(issues) == before:  # FR-023
            issues.append(
                Issue(
                    format_path(path),
                    f"job '{name}' selects no asset: check its selection, groups, keys and tags",
                    spec.selection or None,
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
    return BatchJobPlan(name, spec, frozenset(materializable), next(iter(defs)) if defs else None)


def build_ops_job(
    name: str, spec: OpsJob, project_root: Path, resource_keys: Collection[str], issues: list[Issue]
) -> BuiltJob | None:
    path = ("orchestration", "jobs", name)
    try:
        function = import_target(spec.target, project_root)
    except UserCodeError as exc:
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
        kwargs: dict[str, Any] = {**spec.args, **context.op_config, **_run_params(context, spec)}
        kwargs.update({key: getattr(context.resources, key) for key in resources})
        if wants_context:
            kwargs["context"] = context
        context.log.info(f"running {spec.target} with {sorted(kwargs)}")
        result = function(**kwargs)
        if isinstance(result, Mapping):
            context.add_output_metadata({str(k): _metadata_value(v) for k, v in result.items()})
        return result

    @job(name=name, description=spec.description, tags={**job_tags(name), **spec.run_tags})
    def _job() -> None:
        _run()

    return _job


def _run_params(context: OpExecutionContext, spec: OpsJob) -> dict[str, Any]:
    """Declared params given for this run through the workflow API's `floe/params` run tag."""
    raw = context.run.tags.get(PARAMS_TAG)
    if not raw:
        return {}
    try:
        given = json.loads(raw)
    except ValueError:
        context.log.warning(f"run tag {PARAMS_TAG} is not JSON; ignored")
        return {}
    if not isinstance(given, dict):
        return {}
    ignored = sorted(k for k in given if k not in spec.params)
    if ignored:
        context.log.warning(f"params {ignored} are not declared by job {context.job_name}; ignored")
    return {k: v for k, v in given.items() if k in spec.params}


def _metadata_value(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) else str(value)
