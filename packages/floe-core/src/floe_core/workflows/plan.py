"""`render_plan`: the exact container invocations of one run — THE portability contract (contract §14).

Every orchestrator adapter (Dagster, Airflow) must start, for the same workflow and date, containers with
exactly these images, argv and env. Pure: no I/O, no clock, no environment lookups (secrets stay references).

Per job, in order:
  1. params: each value rendered with the run's date variables (not other params); `params_override`
     replaces a value verbatim (no templating);
  2. argv = command + args rendered with the date variables and `params` (without `command`, argv = args
     and the image's entrypoint runs: `uses_entrypoint`);
  3. env: the job's `env` (strings rendered; secret references kept), then every param as <KEY upper-cased>
     (true/false for booleans) — contract §13.2: jobs read their configuration from the environment.
Jobs come in topological order of depends_on, ties alphabetical.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from pydantic import Field

from floe_core.errors import FloeError
from floe_core.spec.base import FloeModel
from floe_core.workflows.checks import param_env_name
from floe_core.workflows.context import TemplateContext, trigger_context, window_context
from floe_core.workflows.graph import topological_order
from floe_core.workflows.job import (
    EnvValue,
    JobSpec,
    K8sSecret,
    ParamValue,
    Resources,
    RetryPolicy,
    SecretEnv,
)
from floe_core.workflows.templating import TemplateError, render
from floe_core.workflows.windows import Window, window_for
from floe_core.workflows.workflow import WorkflowSpec

When = date | datetime | Window | TemplateContext


class JobInvocation(FloeModel):
    """One container run of a plan."""

    workflow: str
    job: str
    description: str | None = None
    image: str
    argv: list[str] = Field(description="command + args, rendered; args only when uses_entrypoint")
    uses_entrypoint: bool = Field(description="no `command`: the image's entrypoint receives argv")
    env: dict[str, EnvValue] = Field(description="rendered strings; secrets as references, never values")
    params: dict[str, ParamValue]
    resources: Resources | None = None
    retry: RetryPolicy
    retry_delays: list[float] = Field(
        description="seconds before attempts 2 .. max_attempts (RetryPolicy.delays)"
    )
    timeout_seconds: int | None = None
    depends_on: list[str]
    context: TemplateContext

    def display_env(self) -> dict[str, str]:
        """env for people: secret references shown as `<secret from $NAME>`."""
        return {k: v if isinstance(v, str) else str(v) for k, v in self.env.items()}

    @property
    def secret_env(self) -> dict[str, SecretEnv | K8sSecret]:
        return {k: v for k, v in self.env.items() if not isinstance(v, str)}


def env_text(value: ParamValue) -> str:
    """A param as an environment variable value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def plan_context(workflow: WorkflowSpec, when: When, *, trigger_file: str | None = None) -> TemplateContext:
    """The template context of the run of `workflow` at `when` (see floe_core.workflows.context).

    Scheduled (cron/interval): a date, a datetime that is a tick, or a Window (see windows.window_for).
    Manual: the trigger time (date = 00:00 UTC). Event (file arrival): the trigger time and `trigger_file`.
    """
    if isinstance(when, TemplateContext):
        return when
    schedule = workflow.windowed_schedule
    if schedule is not None:
        if trigger_file is not None:
            raise FloeError(f"workflow '{workflow.name}' is scheduled by cron: runs have no trigger file")
        window = when if isinstance(when, Window) else window_for(schedule, when)
        return window_context(schedule, window)
    if isinstance(when, Window):
        raise FloeError(f"workflow '{workflow.name}' has no cron or interval schedule, hence no windows")
    if workflow.event_schedule is not None:
        return trigger_context(when, kind="event", trigger_file=trigger_file)
    return trigger_context(when, kind="manual", trigger_file=trigger_file)


def _render(text: str, variables: Mapping[str, object], where: str) -> str:
    try:
        return render(text, variables)
    except TemplateError as exc:
        raise TemplateError(f"{where}: {exc}") from None


def _invocation(
    workflow: WorkflowSpec,
    job: JobSpec,
    depends_on: list[str],
    context: TemplateContext,
    overrides: Mapping[str, str],
) -> JobInvocation:
    where = f"{workflow.name}.{job.name}"
    dates = context.variables()
    params: dict[str, ParamValue] = {}
    for key, value in job.params.items():
        if key in overrides:
            params[key] = overrides[key]
        elif isinstance(value, str):
            params[key] = _render(value, dates, f"{where}.params.{key}")
        else:
            params[key] = value
    variables = context.variables(dict(params))
    command = [_render(c, variables, f"{where}.command[{i}]") for i, c in enumerate(job.command or [])]
    args = [_render(a, variables, f"{where}.args[{i}]") for i, a in enumerate(job.args)]
    env: dict[str, EnvValue] = {}
    for name, declared in job.env.items():
        env[name] = (
            _render(declared, variables, f"{where}.env.{name}") if isinstance(declared, str) else declared
        )
    for key, param in params.items():
        env.setdefault(param_env_name(key), env_text(param))
    return JobInvocation(
        workflow=workflow.name,
        job=job.name,
        description=job.description,
        image=job.image,
        argv=command + args,
        uses_entrypoint=job.command is None,
        env=env,
        params=params,
        resources=job.resources,
        retry=job.retry,
        retry_delays=job.retry.delays(),
        timeout_seconds=job.timeout_seconds,
        depends_on=depends_on,
        context=context,
    )


def render_plan(
    workflow: WorkflowSpec,
    when: When,
    *,
    params_override: Mapping[str, str] | None = None,
    trigger_file: str | None = None,
) -> list[JobInvocation]:
    """One JobInvocation per job, in topological order (ties by name), for the run of `workflow` at `when`.

    `params_override` replaces the value of a param in every job declaring it (verbatim, not templated);
    a key no job declares is an error. Template problems raise TemplateError naming workflow.job.field.
    """
    overrides = dict(params_override or {})
    declared = {key for entry in workflow.jobs for key in entry.spec.params}
    unknown = sorted(set(overrides) - declared)
    if unknown:
        raise FloeError(
            f"unknown param {', '.join(unknown)} for workflow '{workflow.name}'; its jobs declare:"
            f" {', '.join(sorted(declared)) or 'no params'}"
        )
    context = plan_context(workflow, when, trigger_file=trigger_file)
    entries = {entry.name: entry for entry in workflow.jobs}
    try:
        order = topological_order(entries, {n: e.depends_on for n, e in entries.items()})
    except ValueError as exc:
        raise FloeError(f"workflow '{workflow.name}': depends_on has a {exc}") from None
    return [
        _invocation(workflow, entries[name].spec, list(entries[name].depends_on), context, overrides)
        for name in order
    ]
