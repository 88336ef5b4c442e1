"""What a generated DAG file imports (in Airflow's venv, .venv-airflow): operators that run one job of a floe
workflow exactly as floe-core's `render_plan` describes it, floe's retry delays and failure notifications.

Why subclasses and not Airflow's template fields: a job's templates are floe's (contract §3.3), rendered by
floe-core's sandboxed renderer for floe's window (floe_core.workflows.windows) — Airflow 3's Jinja context
has no `execution_date` / `prev_execution_date` / `next_execution_date`, and its `ds` depends on the
timetable. So each operator has no template fields at all; at execute time it asks `render_plan` for its
job's invocation (image, argv, env) and hands exactly that to the provider's operator.

Which window a run is: floe_airflow.when.run_when (the window starting at the logical date). `dag_run.conf`
may carry `{"params": {KEY: VALUE}}` (params_override) and, for file-arrival workflows, `{"trigger_file": ...}`.

Retries: Airflow's own backoff (`retry_exponential_backoff`) adds a hash-based jitter and rounds up, so the
operators carry a `FloeRetryPolicy` (Airflow 3's retry_policy) that returns exactly floe-core's
`RetryPolicy.delays()` for each attempt; `retry_delay`/`retry_exponential_backoff`/`max_retry_delay` are
still set to the same values so the UI shows them (and they apply if a policy evaluation ever failed).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
from airflow.providers.docker.operators.docker import DockerOperator
from airflow.sdk import BaseOperator
from airflow.sdk.definitions.retry_policy import RetryDecision
from airflow.sdk.definitions.retry_policy import RetryPolicy as AirflowRetryPolicy
from airflow.sdk.exceptions import AirflowException
from floe_core.errors import FloeError
from floe_core.workflows import (
    K8sSecret,
    NotificationSettings,
    RuntimeConfig,
    SecretEnv,
    WorkflowSpec,
    parse_duration,
    render_plan,
)
from floe_core.workflows.notify import FailureNotice, notify_failure
from floe_core.workflows.plan import JobInvocation

from floe_airflow.when import run_when

RUN_LABEL = "floe.run_id"
JOB_LABEL = "floe.job"


def workflow_spec(document: Mapping[str, Any]) -> WorkflowSpec:
    """The workflow a DAG file embeds (validated again at parse time: a hand-edited file fails loudly)."""
    return WorkflowSpec.model_validate(document)


def runtime_config(document: Mapping[str, Any]) -> RuntimeConfig:
    return RuntimeConfig.model_validate(document)


def notification_settings(document: Mapping[str, Any]) -> NotificationSettings:
    return NotificationSettings.model_validate(document)


def invocation_for(spec: WorkflowSpec, job: str, context: Mapping[str, Any]) -> JobInvocation:
    """render_plan's invocation of `job` for the Airflow run of `context`."""
    dag_run = context.get("dag_run")
    conf: Mapping[str, Any] = getattr(dag_run, "conf", None) or {}
    logical_date = context.get("logical_date")
    run_after = getattr(dag_run, "run_after", None)
    params = conf.get("params") or {}
    when = run_when(spec, logical_date, run_after)
    plan = render_plan(
        spec,
        when,
        params_override={str(k): str(v) for k, v in dict(params).items()},
        trigger_file=conf.get("trigger_file"),
    )
    return next(i for i in plan if i.job == job)


def resolved_env(
    invocation: JobInvocation, environ: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """(plain env, secret env): `{secret_env: NAME}` read from the worker's environment at the last moment;
    a missing one (or a Kubernetes secret outside Kubernetes) fails the job naming the variable, never a value."""
    plain: dict[str, str] = {}
    secret: dict[str, str] = {}
    missing: list[str] = []
    for name, value in invocation.env.items():
        if isinstance(value, str):
            plain[name] = value
        elif isinstance(value, SecretEnv) and value.secret_env in environ:
            secret[name] = environ[value.secret_env]
        elif isinstance(value, SecretEnv):
            missing.append(f"{name} (from ${value.secret_env})")
        else:
            missing.append(f"{name} (a Kubernetes secret, not available to this runtime)")
    if missing:
        raise AirflowException(f"job {invocation.job}: environment variable(s) not set: {', '.join(missing)}")
    return plain, secret


# -- retries ------------------------------------------------------------------------------------------------
class FloeRetryPolicy(AirflowRetryPolicy):  # type: ignore[misc]  # Airflow is not in floe's venv
    """Waits exactly floe-core's `RetryPolicy.delays()`: before attempt n+1, `delays[n-1]` seconds."""

    def __init__(self, delays: Sequence[float]) -> None:
        self.delays = list(delays)

    def evaluate(
        self, exception: BaseException, try_number: int, max_tries: int, context: Any = None
    ) -> RetryDecision:
        if try_number > len(self.delays):
            return RetryDecision.fail(f"floe: attempt {try_number} failed; no retry left")
        wait = self.delays[try_number - 1]
        return RetryDecision.retry(
            delay=timedelta(seconds=wait),
            reason=f"floe: attempt {try_number} failed; attempt {try_number + 1} in {wait:g} s",
        )

    def serialize(self) -> dict[str, Any]:
        return {"delays": self.delays}


def retry_arguments(spec: WorkflowSpec, job: str) -> dict[str, Any]:
    """BaseOperator's retry arguments for `job` (the renderer writes them out literally)."""
    policy = spec.job(job).retry
    delays = policy.delays()
    if not delays:
        return {"retries": 0}
    args: dict[str, Any] = {
        "retries": len(delays),
        "retry_delay": timedelta(seconds=delays[0]),
        "retry_policy": FloeRetryPolicy(delays),
    }
    if policy.exponential_backoff:
        args["retry_exponential_backoff"] = policy.multiplier
    if policy.max_delay is not None:
        args["max_retry_delay"] = timedelta(seconds=parse_duration(policy.max_delay))
    return args


class _FloeJob:
    """The floe side of every floe operator: the workflow, the job, its invocation for this run."""

    template_fields: Sequence[str] = ()  # floe renders the job's templates, never Airflow's Jinja

    floe_workflow: WorkflowSpec
    floe_job: str

    def _floe_init(self, workflow: WorkflowSpec, job: str) -> dict[str, Any]:
        self.floe_workflow = workflow
        self.floe_job = job
        return retry_arguments(workflow, job)

    def floe_invocation(self, context: Mapping[str, Any]) -> JobInvocation:
        try:
            invocation = invocation_for(self.floe_workflow, self.floe_job, context)
        except FloeError as exc:  # a template or param problem: the run's request was wrong, say which
            raise AirflowException(f"workflow {self.floe_workflow.name}: {exc}") from None
        log = getattr(self, "log", None)
        if log is not None:
            log.info(
                "floe plan: job=%s image=%s argv=%s window_start=%s",
                invocation.job,
                invocation.image,
                invocation.argv,
                invocation.context.execution_date,
            )
        return invocation


# -- runtimes -----------------------------------------------------------------------------------------------
class FloeDockerOperator(_FloeJob, DockerOperator):  # type: ignore[misc]
    """docker runtime: the invocation's image, argv (command replaces the entrypoint) and env."""

    def __init__(self, *, workflow: WorkflowSpec, job: str, runtime: RuntimeConfig, **kwargs: Any) -> None:
        retry = self._floe_init(workflow, job)
        settings = runtime.docker
        mounts = [_mount(volume) for volume in settings.volumes]
        kwargs.setdefault("task_id", job)
        super().__init__(
            image=workflow.job(job).image,
            docker_url=settings.docker_host,
            network_mode=settings.network,
            force_pull=settings.pull == "always",
            mounts=mounts,
            mount_tmp_dir=False,
            auto_remove="force",
            **{**retry, **kwargs},
        )

    def execute(self, context: Any) -> Any:
        invocation = self.floe_invocation(context)
        env, secret = resolved_env(invocation, os.environ)
        argv = list(invocation.argv)
        self.image = invocation.image
        if invocation.uses_entrypoint:
            self.entrypoint, self.command = None, argv or None
        else:  # `command` replaces the image's entrypoint (contract §3.1)
            self.entrypoint, self.command = argv[:1], argv[1:]
        self.environment, self.private_environment = env, secret
        run_id = str(getattr(context.get("dag_run"), "run_id", ""))
        self.labels = {**(getattr(self, "labels", None) or {}), RUN_LABEL: run_id, JOB_LABEL: invocation.job}
        if not getattr(self, "docker_url", None):
            self.docker_url = os.environ.get("DOCKER_HOST", "unix://var/run/docker.sock")
        resources = invocation.resources
        if resources is not None and resources.cpu_cores is not None:
            self.cpus = float(resources.cpu_cores)
        if resources is not None and resources.memory_bytes is not None:
            self.mem_limit = resources.memory_bytes
        return super().execute(context)


def _mount(volume: str) -> Any:
    from docker.types import Mount

    source, target, *mode = volume.split(":")
    return Mount(target=target, source=source, type="bind", read_only=mode == ["ro"])


class FloeKubernetesPodOperator(_FloeJob, KubernetesPodOperator):  # type: ignore[misc]
    """kubernetes runtime: one pod per attempt; `resources` as both requests and limits; secrets as
    secretKeyRef (k8s_secret) or values read from the worker's environment (secret_env)."""

    def __init__(self, *, workflow: WorkflowSpec, job: str, runtime: RuntimeConfig, **kwargs: Any) -> None:
        retry = self._floe_init(workflow, job)
        settings = runtime.kubernetes
        if settings is None:
            raise FloeError("the kubernetes runtime needs workflows.runtime.kubernetes: {namespace: ...}")
        kwargs.setdefault("task_id", job)
        super().__init__(
            name=job.replace("_", "-"),
            image=workflow.job(job).image,
            namespace=settings.namespace,
            service_account_name=settings.service_account,
            image_pull_policy=settings.image_pull_policy,
            labels={JOB_LABEL: job},
            get_logs=True,
            **{**retry, **kwargs},
        )

    def floe_prepare(self, context: Any) -> JobInvocation:
        """Set image, cmds, arguments, env_vars and container_resources from the invocation."""
        from kubernetes.client import models as k8s

        invocation = self.floe_invocation(context)
        argv = list(invocation.argv)
        self.image = invocation.image
        if invocation.uses_entrypoint:
            self.cmds, self.arguments = [], argv
        else:
            self.cmds, self.arguments = argv[:1], argv[1:]
        env: list[Any] = []
        for name, value in invocation.env.items():
            if isinstance(value, str):
                env.append(k8s.V1EnvVar(name=name, value=value))
            elif isinstance(value, K8sSecret):
                ref = k8s.V1SecretKeySelector(name=value.k8s_secret.name, key=value.k8s_secret.key)
                env.append(k8s.V1EnvVar(name=name, value_from=k8s.V1EnvVarSource(secret_key_ref=ref)))
            elif value.secret_env in os.environ:
                env.append(k8s.V1EnvVar(name=name, value=os.environ[value.secret_env]))
            else:
                raise AirflowException(
                    f"job {invocation.job}: environment variable(s) not set: {name} (from ${value.secret_env})"
                )
        self.env_vars = env
        resources = invocation.resources
        if resources is not None and (resources.cpu or resources.memory):
            quantities = {k: v for k, v in (("cpu", resources.cpu), ("memory", resources.memory)) if v}
            self.container_resources = k8s.V1ResourceRequirements(requests=quantities, limits=quantities)
        return invocation

    def execute(self, context: Any) -> Any:
        self.floe_prepare(context)
        return super().execute(context)


class FloeCommandOperator(_FloeJob, BaseOperator):  # type: ignore[misc]
    """subprocess runtime: argv as a local process, without a shell (the image is not used); the worker's
    environment plus the invocation's env, as Dagster's PipesSubprocessClient does."""

    def __init__(self, *, workflow: WorkflowSpec, job: str, working_dir: str, **kwargs: Any) -> None:
        retry = self._floe_init(workflow, job)
        kwargs.setdefault("task_id", job)
        super().__init__(**{**retry, **kwargs})
        self.working_dir = working_dir

    def execute(self, context: Any) -> None:
        invocation = self.floe_invocation(context)
        env, secret = resolved_env(invocation, os.environ)
        try:
            done = subprocess.run(
                list(invocation.argv),
                cwd=Path(self.working_dir),
                env={**os.environ, **env, **secret},
                capture_output=True,
                text=True,
                check=False,
                timeout=invocation.timeout_seconds,
            )
        except FileNotFoundError as exc:
            raise AirflowException(
                f"job {invocation.job}: command not found: {invocation.argv[0]!r} ({exc.strerror})"
            ) from None
        except subprocess.TimeoutExpired:
            raise AirflowException(
                f"job {invocation.job}: timed out after {invocation.timeout_seconds} s"
            ) from None
        for line in (done.stdout + done.stderr).splitlines():
            self.log.info("%s", line)
        if done.returncode != 0:
            raise AirflowException(f"job {invocation.job} failed: command exited with code {done.returncode}")


# -- notifications ----------------------------------------------------------------------------------------
class FloeFailureNotifier:
    """on_failure_callback of every task: sends the workflow's `notifications.on_failure` when a job failed
    for good (after its retries), through floe-core's senders; it never raises."""

    def __init__(self, workflow: WorkflowSpec, settings: NotificationSettings) -> None:
        self.workflow = workflow
        self.settings = settings

    def __call__(self, context: Mapping[str, Any]) -> None:
        import logging

        channels = self.workflow.notifications.on_failure
        if not channels:
            return
        ti = context.get("ti") or context.get("task_instance")
        dag_run = context.get("dag_run")
        logical_date = context.get("logical_date")
        exception = context.get("exception")
        notice = FailureNotice(
            workflow=self.workflow.name,
            run_id=str(getattr(dag_run, "run_id", "")),
            failed_jobs=[str(getattr(ti, "task_id", ""))] if ti is not None else [],
            errors=[str(exception)] if exception is not None else [],
            run_url=str(getattr(ti, "log_url", "") or ""),
            execution_date=logical_date.isoformat() if logical_date is not None else None,
        )
        log = logging.getLogger("floe_airflow")
        outcome = notify_failure(notice, channels, self.settings, log.warning)
        log.info("floe: %s", outcome.describe())
