"""Checks pydantic cannot express, on a workflow document's raw values (so they are reported together with
every schema problem): job names and depends_on (unknown, cyclic), templates (syntax, unknown variables and
params, Python internals), secrets written literally, env names params would collide with, and what the
configured runtime cannot run.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

from floe_core.paths import YamlPath
from floe_core.secrets import credential_in, is_secret_name
from floe_core.workflows.config import RuntimeConfig
from floe_core.workflows.context import RunKind
from floe_core.workflows.graph import find_cycle
from floe_core.workflows.source import LocatedIssue, Locator
from floe_core.workflows.templating import (
    ALL_VARIABLES,
    EVENT_VARIABLES,
    PARAMS,
    WINDOW_VARIABLES,
    TemplateError,
    analyze,
)
from floe_core.yaml_source import YamlValue

# `params.items` would reach the dict method, never a param called `items`
DICT_ATTRIBUTES = frozenset(n for n in dir(dict) if not n.startswith("_"))
# container variables a param must not replace by accident (set them explicitly in `env` if you mean it)
RESERVED_ENV = frozenset(
    {"PATH", "HOME", "HOSTNAME", "PWD", "SHELL", "USER", "LD_PRELOAD", "LD_LIBRARY_PATH"}
)
USE_SECRET_ENV = "use {secret_env: NAME} (read from the orchestrator's environment at run time)"


def param_env_name(key: str) -> str:
    """The container variable a param is passed as: the key upper-cased (execution_date -> EXECUTION_DATE)."""
    return key.upper()


def _hint(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def run_kind(workflow: Mapping[str, YamlValue]) -> RunKind:
    schedule = workflow.get("schedule")
    if isinstance(schedule, dict) and ("cron" in schedule or "interval" in schedule):
        return "window"
    if isinstance(schedule, dict) and "trigger" in schedule:
        return "event"
    return "manual"


_NOT_HERE = {
    "manual": "the workflow has no cron or interval schedule (manual runs have no window)",
    "event": "the workflow is triggered by file arrivals (event runs have no window)",
}


def template_problems(text: str, *, params: Sequence[str] | None, kind: RunKind) -> list[str]:
    """Problems of one templated value; `params=None` for a value of `params` itself."""
    try:
        usage = analyze(text)
    except TemplateError as exc:
        return [str(exc)]
    problems: list[str] = []
    for name in sorted(usage.variables - set(ALL_VARIABLES)):
        problems.append(
            f"unknown template variable '{name}'{_hint(name, ALL_VARIABLES)}; available: {', '.join(ALL_VARIABLES)}"
        )
    if params is None and PARAMS in usage.variables:
        problems.append("a param cannot use params: params are rendered first, with the date variables only")
    elif params is not None:
        for key in sorted(usage.params - set(params)):
            declared = ", ".join(params) if params else "none"
            problems.append(
                f"unknown param 'params.{key}'{_hint(key, params)}; this job's params: {declared}"
            )
    for name in sorted(usage.variables - usage.guarded):
        if name in WINDOW_VARIABLES and kind != "window":
            problems.append(
                f"{name} is only defined for runs of a cron or interval schedule, and {_NOT_HERE[kind]};"
                f" test it with {{% if {name} is defined %}}"
            )
        if name in EVENT_VARIABLES and kind != "event":
            problems.append(
                f"{name} is only defined for workflows triggered by file arrival; test it with"
                f" {{% if {name} is defined %}}"
            )
    return problems


def _text_issues(
    locator: Locator, path: YamlPath, text: str, *, params: Sequence[str] | None, kind: RunKind
) -> list[LocatedIssue]:
    issues = [locator.issue(path, p, text) for p in template_problems(text, params=params, kind=kind)]
    what = credential_in(text)
    if what:
        issues.append(locator.issue(path, f"literal credential in the spec ({what}): {USE_SECRET_ENV}"))
    return issues


def check_job(
    job: Mapping[str, YamlValue],
    path: YamlPath,
    locator: Locator,
    *,
    kind: RunKind,
    runtime: RuntimeConfig | None,
) -> list[LocatedIssue]:
    """Templates, secrets and env names of one job (`path` is the job mapping's path in the document)."""
    issues: list[LocatedIssue] = []
    params = job.get("params")
    params = params if isinstance(params, dict) else {}
    env = job.get("env")
    env = env if isinstance(env, dict) else {}
    keys = list(params)
    claimed: dict[str, str] = {}  # container variable -> the param that sets it
    for key, value in params.items():
        at = (*path, "params", key)
        if key in DICT_ATTRIBUTES:
            issues.append(
                locator.issue(
                    at, f"param name '{key}' is a dict method: params.{key} would not reach it; rename it"
                )
            )
        if isinstance(value, str) and is_secret_name(key):
            issues.append(locator.issue(at, f"literal secret in params: {USE_SECRET_ENV} in `env` instead"))
        elif isinstance(value, str):
            issues += _text_issues(locator, at, value, params=None, kind=kind)
        variable = param_env_name(key)
        if variable in env:
            issues.append(
                locator.issue(
                    at, f"param '{key}' is passed as ${variable}, which `env` also sets: keep one of them"
                )
            )
        elif variable in claimed:
            issues.append(
                locator.issue(at, f"params '{claimed[variable]}' and '{key}' are both passed as ${variable}")
            )
        elif variable in RESERVED_ENV or variable.startswith("LD_"):
            issues.append(
                locator.issue(at, f"param '{key}' would replace the container's ${variable}; rename it")
            )
        claimed.setdefault(variable, key)
    for field in ("command", "args"):
        items = job.get(field)
        if isinstance(items, list):
            for i, item in enumerate(items):
                if isinstance(item, str):
                    issues += _text_issues(locator, (*path, field, i), item, params=keys, kind=kind)
    for name, value in env.items():
        at = (*path, "env", name)
        if isinstance(value, str):
            if is_secret_name(name):
                issues.append(locator.issue(at, f"literal secret in env: {USE_SECRET_ENV}"))
            else:
                issues += _text_issues(locator, at, value, params=keys, kind=kind)
        elif (
            isinstance(value, dict)
            and "k8s_secret" in value
            and runtime is not None
            and runtime.type != "kubernetes"
        ):
            issues.append(
                locator.issue(
                    at,
                    f"k8s_secret needs the kubernetes runtime, but workflows.runtime.type is '{runtime.type}':"
                    " use {secret_env: NAME} to run it elsewhere",
                )
            )
    if runtime is not None and runtime.type == "subprocess" and "command" not in job and "name" in job:
        issues.append(
            locator.issue(
                path,
                f"job '{job['name']}' has no command: the subprocess runtime runs command + args on this"
                " machine and cannot use the image's entrypoint (set `command`, or use the docker runtime)",
            )
        )
    return issues


def check_jobs_graph(workflow: Mapping[str, YamlValue], locator: Locator) -> list[LocatedIssue]:
    """Duplicate job names; depends_on naming unknown jobs, itself, twice; cycles."""
    entries = workflow.get("jobs")
    if not isinstance(entries, list):
        return []
    base: YamlPath = ("workflow", "jobs")
    names: dict[str, int] = {}
    issues: list[LocatedIssue] = []
    for i, entry in enumerate(entries):
        job = entry.get("job") if isinstance(entry, dict) else None
        name = job.get("name") if isinstance(job, dict) else None
        if not isinstance(name, str):
            continue
        if name in names:
            first = locator.line((*base, names[name], "job", "name"))
            issues.append(
                locator.issue((*base, i, "job", "name"), f"duplicate job name '{name}' (first at {first})")
            )
        else:
            names[name] = i
    edges: dict[str, list[str]] = {}
    for name, i in names.items():
        entry = entries[i]
        depends = entry.get("depends_on") if isinstance(entry, dict) else None
        if not isinstance(depends, list):
            continue
        edges[name] = []
        for j, dep in enumerate(depends):
            if not isinstance(dep, str):
                continue
            at = (*base, i, "depends_on", j)
            if dep == name:
                issues.append(locator.issue(at, f"job '{name}' depends on itself"))
            elif dep not in names:
                known = ", ".join(names)
                issues.append(
                    locator.issue(
                        at, f"unknown job '{dep}' in depends_on{_hint(dep, list(names))}; jobs: {known}"
                    )
                )
            elif dep in depends[:j]:
                issues.append(locator.issue(at, f"'{dep}' is listed twice in depends_on"))
            else:
                edges[name].append(dep)
    cycle = find_cycle(edges)
    if cycle:
        at = (*base, names[cycle[0]], "depends_on")
        issues.append(locator.issue(at, "depends_on forms a cycle: " + " -> ".join(cycle)))
    return issues


def check_workflow(
    document: Mapping[str, YamlValue], locator: Locator, *, runtime: RuntimeConfig | None
) -> list[LocatedIssue]:
    """Every check of one workflow document (`{workflow: {...}}` with its jobs resolved)."""
    workflow = document.get("workflow")
    if not isinstance(workflow, dict):
        return []
    kind = run_kind(workflow)
    issues = check_jobs_graph(workflow, locator)
    entries = workflow.get("jobs")
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        job = entry.get("job") if isinstance(entry, dict) else None
        if isinstance(job, dict):
            issues += check_job(job, ("workflow", "jobs", i, "job"), locator, kind=kind, runtime=runtime)
    dependencies = workflow.get("dependencies")
    seen: set[str] = set()
    for j, dependency in enumerate(dependencies if isinstance(dependencies, list) else []):
        upstream = dependency.get("workflow") if isinstance(dependency, dict) else None
        if not isinstance(upstream, str):
            continue
        at: YamlPath = ("workflow", "dependencies", j, "workflow")
        if upstream == workflow.get("name"):
            issues.append(locator.issue(at, "a workflow cannot depend on itself"))
        elif upstream in seen:
            issues.append(locator.issue(at, f"'{upstream}' is listed twice in dependencies"))
        seen.add(upstream)
    return issues
