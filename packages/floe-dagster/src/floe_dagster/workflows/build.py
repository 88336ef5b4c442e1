"""A workflow as a Dagster job: one op per container job, wired by depends_on; partitioned by the schedule's
windows (floe_core.workflows.windows: the same keys as Dagster's time-window partitions), with a schedule
built from the partitioned job, so a date is a partition and backfills over dates come with Dagster.

Failure policy (contract §9): `stop_downstream` (default) is Dagster's own behaviour — an op that fails for
good fails its step and the steps depending on it are skipped. `continue`: a job that failed for good reports
its failure (logged, and in its output) and its dependents still run; a final `<workflow>__outcome` step
fails the run, naming every failed job, so the run's status still says the workflow failed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster import (
    DefaultScheduleStatus,
    DependencyDefinition,
    ExecutorDefinition,
    Failure,
    GraphDefinition,
    In,
    JobDefinition,
    MultiDependencyDefinition,
    OpDefinition,
    OpExecutionContext,
    Out,
    PartitionsDefinition,
    RetryRequested,
    ScheduleDefinition,
    SensorDefinition,
    TimeWindowPartitionsDefinition,
    build_schedule_from_partitioned_job,
    in_process_executor,
    multiprocess_executor,
)
from floe_core.errors import FloeError
from floe_core.workflows import (
    ExecutorConfig,
    LoadedWorkflow,
    RuntimeConfig,
    WorkflowSet,
    partition_fmt,
    render_plan,
    window_for_partition_key,
)
from floe_core.workflows.manual_store import load_manual_workflows, merge_manual, store_dir
from floe_core.workflows.plan import JobInvocation
from floe_core.workflows.schedules import EventSchedule, WindowedSchedule
from floe_core.workflows.workflow import WorkflowSpec

from floe_dagster.observability import Observability
from floe_dagster.orchestration.jobs import WORKFLOW_SOURCE_TAG, WORKFLOW_TAG
from floe_dagster.workflows.run_log import JobRunLog
from floe_dagster.workflows.run_tags import TRIGGER_FILE_TAG, requested_date, requested_params
from floe_dagster.workflows.runtimes import run_invocation
from floe_dagster.workflows.sensors import dependency_sensor, file_arrival_sensor
from floe_dagster.workflows.telemetry import observed_attempt

OUTCOME_SUFFIX = "__outcome"


@dataclass
class BuiltWorkflows:
    jobs: list[JobDefinition] = field(default_factory=list)
    schedules: list[ScheduleDefinition] = field(default_factory=list)
    sensors: list[SensorDefinition] = field(default_factory=list)


def with_manual_workflows(workflows: WorkflowSet) -> WorkflowSet:
    """The project's workflows plus the MANUAL ones registered through the workflow API (its folder store,
    floe_core.workflows.manual_store), CODE winning on a name clash."""
    manual = load_manual_workflows(store_dir(workflows.root), workflows.runtime)
    if not manual:
        return workflows
    return workflows.model_copy(update={"workflows": merge_manual(list(workflows.workflows), manual)})


def build_workflows(
    workflows: WorkflowSet, *, taken: Sequence[JobDefinition] = (), observer: Observability | None = None
) -> BuiltWorkflows:
    """Jobs and schedules of every workflow; `taken`: jobs already defined (floe.yaml's own), whose names a
    workflow may not reuse; `observer`: lineage events and spans per container job (workflows.telemetry)."""
    clash = sorted({w.name for w in workflows.workflows} & {j.name for j in taken})
    if clash:
        raise FloeError(
            f"workflow name(s) {', '.join(clash)} are also floe.yaml orchestration.jobs: a Dagster job name"
            " must be unique; rename one"
        )
    built = BuiltWorkflows()
    root = Path(workflows.root)
    for loaded in workflows.workflows:
        source = "manual" if loaded.origin == "manual" else "code"
        job = workflow_job(
            loaded, workflows.runtime, root, source=source, observer=observer, executor=workflows.executor
        )
        built.jobs.append(job)
        schedule = loaded.spec.windowed_schedule
        if isinstance(loaded.spec.schedule, EventSchedule):
            built.sensors.append(file_arrival_sensor(loaded, job, root))
        elif loaded.spec.dependencies:  # its windows start when the upstream ones are done, not on the clock
            built.sensors.append(dependency_sensor(loaded, job, workflows))
        elif schedule is not None:
            scheduled = build_schedule_from_partitioned_job(
                job,
                name=f"{loaded.name}_schedule",
                description=f"workflow {loaded.name}: one run per window, at the window's end",
                default_status=DefaultScheduleStatus.RUNNING,
            )
            assert isinstance(scheduled, ScheduleDefinition)  # from a job, not an unresolved asset job
            built.schedules.append(scheduled)
    from floe_dagster.workflows.failure_sensor import failure_notification_sensor  # it imports this module

    sensor = failure_notification_sensor(workflows, built.jobs)
    if sensor is not None:
        built.sensors.append(sensor)
    return built


def workflow_partitions(schedule: WindowedSchedule) -> TimeWindowPartitionsDefinition:
    return TimeWindowPartitionsDefinition(
        cron_schedule=schedule.cron_expression,
        start=schedule.start,
        end=schedule.end,
        timezone=schedule.timezone,
        fmt=partition_fmt(schedule),
    )


def workflow_job(
    loaded: LoadedWorkflow,
    runtime: RuntimeConfig,
    project_root: Path,
    *,
    source: str = "code",
    observer: Observability | None = None,
    executor: ExecutorConfig | None = None,
) -> JobDefinition:
    spec = loaded.spec
    schedule = spec.windowed_schedule
    partitions: PartitionsDefinition | None = workflow_partitions(schedule) if schedule is not None else None
    keep_going = spec.on_failure == "continue"
    ops: list[OpDefinition] = []
    deps: dict[str, dict[str, DependencyDefinition | MultiDependencyDefinition]] = {}
    for entry in spec.jobs:
        ops.append(_job_op(spec, entry.name, entry.depends_on, runtime, project_root, keep_going, observer))
        deps[entry.name] = {f"after_{up}": DependencyDefinition(up, "outcome") for up in entry.depends_on}
    if keep_going:
        ops.append(_outcome_op(spec))
        deps[spec.name + OUTCOME_SUFFIX] = {
            "outcomes": MultiDependencyDefinition(
                [DependencyDefinition(e.name, "outcome") for e in spec.jobs]
            )
        }
    graph = GraphDefinition(name=spec.name, node_defs=ops, dependencies=deps, description=spec.description)
    return graph.to_job(
        name=spec.name,
        description=spec.description or f"workflow {spec.name} ({len(spec.jobs)} container jobs)",
        tags={WORKFLOW_TAG: spec.name, WORKFLOW_SOURCE_TAG: source},
        partitions_def=partitions,
        executor_def=executor_definition(executor or ExecutorConfig()),
    )


def executor_definition(config: ExecutorConfig) -> ExecutorDefinition | None:
    """floe.yaml's `orchestration.executor` / `workflows.executor` as a Dagster executor (settings fixed: a run cannot override them);
    None for the plain default, multiprocess: Dagster's own default executor, whose run config may still
    pick `in_process` for one run (`execution: {config: {in_process: {}}}`)."""
    if config.type == "in_process":
        return in_process_executor
    if config.type == "celery":
        try:
            from dagster_celery import celery_executor
        except ImportError:
            raise FloeError(
                "executor.type celery needs dagster-celery: pip install 'floe-data-dagster[celery]'"
            ) from None
        settings = config.celery
        return celery_executor.configured(
            {
                "broker": settings.broker,
                "backend": settings.backend,
                "include": list(settings.include),
                "config_source": dict(settings.config_source),
            },
            name="floe_celery_executor",
        )
    if config.type == "k8s":
        return k8s_executor_definition(config)
    if config.multiprocess.max_concurrent is None:
        return None
    return multiprocess_executor.configured(
        {"max_concurrent": config.multiprocess.max_concurrent}, name="floe_multiprocess_executor"
    )


def k8s_executor_config(config: ExecutorConfig) -> dict[str, Any]:
    """floe.yaml's `executor.k8s` as dagster-k8s's k8s_job_executor config (unset fields left out)."""
    k8s = config.k8s
    rendered: dict[str, Any] = {}
    for key in ("job_namespace", "job_image", "image_pull_policy", "service_account_name", "max_concurrent"):
        value = getattr(k8s, key)
        if value is not None:
            rendered[key] = value
    if k8s.env_vars:
        rendered["env_vars"] = list(k8s.env_vars)
    if k8s.resources:
        rendered["resources"] = {part: dict(values) for part, values in k8s.resources.items()}
    if k8s.step_k8s_config:
        rendered["step_k8s_config"] = dict(k8s.step_k8s_config)
    return rendered


def k8s_executor_definition(config: ExecutorConfig) -> ExecutorDefinition:
    """dagster-k8s's k8s_job_executor with floe.yaml's settings (a run may still add its own)."""
    from dagster_k8s import k8s_job_executor

    rendered = k8s_executor_config(config)
    # configured(): settings fixed like celery's; Dagster validates them against the executor's schema
    return k8s_job_executor.configured(rendered, name="floe_k8s_executor") if rendered else k8s_job_executor


def plan_for(context: OpExecutionContext, spec: WorkflowSpec) -> list[JobInvocation]:
    """render_plan for this run: its partition's window, else the `floe/date` tag (else now)."""
    tags = context.run.tags
    params = requested_params(tags)
    schedule = spec.windowed_schedule
    if schedule is not None and context.has_partition_key:
        when: Any = window_for_partition_key(schedule, context.partition_key)
    else:
        when = requested_date(tags)
    try:
        return render_plan(spec, when, params_override=params, trigger_file=tags.get(TRIGGER_FILE_TAG))
    except Exception as exc:  # a template or param problem: the run's request was wrong, say which
        raise Failure(f"workflow {spec.name}: {exc}") from None


def _job_op(  # noqa: PLR0917 - one op's inputs, all needed by its compute function
    spec: WorkflowSpec,
    name: str,
    upstream: Sequence[str],
    runtime: RuntimeConfig,
    project_root: Path,
    keep_going: bool,
    observer: Observability | None = None,
) -> OpDefinition:
    def compute(context: OpExecutionContext, **outcomes: bool) -> Any:
        invocation = next(i for i in plan_for(context, spec) if i.job == name)
        attempt = context.retry_number + 1
        run_log = JobRunLog(context, spec.name, name, invocation.context.execution_date, attempt)
        if upstream:
            failed = sorted(u for u in upstream if not outcomes[f"after_{u}"])
            run_log.emit("dependencies_resolved", upstream=list(upstream), upstream_failed=failed)
        run_log.emit("started", image=invocation.image, argv=invocation.argv)
        started = time.monotonic()
        try:
            with observed_attempt(observer, spec.name, name, context):
                run_invocation(context, invocation, runtime, project_root)
        except Failure as exc:
            elapsed = time.monotonic() - started
            delays = invocation.retry_delays
            if attempt <= len(delays):
                wait = delays[attempt - 1]
                run_log.emit("retrying", duration_seconds=elapsed, error=exc.description, wait_seconds=wait)
                raise RetryRequested(max_retries=len(delays), seconds_to_wait=wait) from exc
            run_log.emit("failed", duration_seconds=elapsed, error=exc.description)
            if keep_going:
                return False
            raise
        run_log.emit("succeeded", duration_seconds=time.monotonic() - started)
        return True

    return OpDefinition(
        name=name,
        ins={f"after_{u}": In(bool) for u in upstream},
        outs={"outcome": Out(bool, description="True when the job succeeded")},
        compute_fn=lambda context, inputs: _outcome_events(compute, context, inputs),
        description=spec.job(name).description or f"container job {name} of workflow {spec.name}",
        tags={"floe/container_job": name},
    )


def _outcome_events(compute: Callable[..., bool], context: OpExecutionContext, inputs: dict[str, Any]) -> Any:
    """The op's body, run when Dagster iterates this generator: inside its user-code boundary, where a stop
    request of the run raises DagsterExecutionInterruptedError. (Called eagerly by the compute function, the
    body ran before that boundary: the interrupt was only recorded and a running container never stopped.)"""
    from dagster import Output

    yield Output(compute(context, **inputs), "outcome")


def _outcome_op(spec: WorkflowSpec) -> OpDefinition:
    names = [e.name for e in spec.jobs]

    def compute(inputs: dict[str, Any]) -> Any:
        outcomes = inputs["outcomes"]
        failed = [n for n, ok in zip(names, outcomes, strict=True) if not ok]
        if failed:
            raise Failure(f"workflow {spec.name}: job(s) failed: {', '.join(failed)} (on_failure: continue)")
        yield from ()

    return OpDefinition(
        name=spec.name + OUTCOME_SUFFIX,
        ins={"outcomes": In(list[bool])},
        outs={},
        # a lambda: Dagster reads the compute function's annotations, which are strings in this module
        compute_fn=lambda context, inputs: compute(inputs),
        description=f"fails the run when a job of {spec.name} failed (on_failure: continue)",
    )
