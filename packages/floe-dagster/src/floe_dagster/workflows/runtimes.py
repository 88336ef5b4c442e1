"""Where a container job runs, chosen by floe.yaml's `workflows.runtime` (the spec never changes, §14):

- subprocess: Dagster Pipes' PipesSubprocessClient runs argv as a local process (dev and CI; the image is
  not used, so `command` is required — validated by floe-core);
- kubernetes: dagster-k8s's PipesK8sClient, a pod per attempt (floe_dagster.workflows.k8s);
- docker: dagster-docker's PipesDockerClient (floe_dagster.workflows.docker_step: one client per step, no
  redundant API calls) against a Docker-compatible API (Docker, podman's socket);
  the container is always removed afterwards (dagster-docker only stops it); it carries labels naming the
  run and the job.

A non-zero exit is a failure whose message carries the exit code; stdout/stderr go to the run's compute logs.
A job's `timeout` stops the attempt (the process group; the container, which is then removed as always) and
fails it with "timed out after N s" — a failure like any other, retried if the job has retries left.
Secrets are references in the plan ({secret_env: NAME}); they are resolved here, at the last moment, from the
run worker's environment, and never logged.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from contextlib import suppress
from pathlib import Path

from dagster import (
    DagsterExecutionInterruptedError,
    Failure,
    OpExecutionContext,
    PipesClientCompletedInvocation,
    PipesSubprocessClient,
    open_pipes_session,
)
from floe_core.workflows import RuntimeConfig, SecretEnv
from floe_core.workflows.plan import JobInvocation

RUN_LABEL = "floe.run_id"
JOB_LABEL = "floe.job"
STOP_GRACE_SECONDS = 5  # SIGTERM, then SIGKILL after this long


def timed_out(invocation: JobInvocation) -> Failure:
    return Failure(f"job {invocation.job} timed out after {invocation.timeout_seconds} s")


def resolved_env(invocation: JobInvocation, environ: Mapping[str, str]) -> dict[str, str]:
    """The invocation's env with `{secret_env: NAME}` read from `environ`; a missing one fails the job
    naming the variable (never a value)."""
    env: dict[str, str] = {}
    missing: list[str] = []
    for name, value in invocation.env.items():
        if isinstance(value, str):
            env[name] = value
        elif isinstance(value, SecretEnv):
            if value.secret_env in environ:
                env[name] = environ[value.secret_env]
            else:
                missing.append(f"{name} (from ${value.secret_env})")
        else:  # k8s_secret: only the kubernetes runtime can mount it (floe-core validates the pairing)
            missing.append(f"{name} (a Kubernetes secret, not available to this runtime)")
    if missing:
        raise Failure(f"job {invocation.job}: environment variable(s) not set: {', '.join(missing)}")
    return env


def run_invocation(
    context: OpExecutionContext, invocation: JobInvocation, runtime: RuntimeConfig, project_root: Path
) -> None:
    """Run one attempt of the job; return on exit 0, raise Failure (exit code in the message) otherwise."""
    if runtime.type == "kubernetes":  # resolves its own env: k8s_secret values stay in the cluster
        from floe_dagster.workflows.k8s import run_kubernetes

        run_kubernetes(context, invocation, runtime, os.environ)
        return
    env = resolved_env(invocation, os.environ)
    if runtime.type == "subprocess":
        _run_subprocess(context, invocation, env, runtime, project_root)
    elif runtime.type == "docker":
        _run_docker(context, invocation, env, runtime)
    else:
        raise Failure(
            f"job {invocation.job}: the {runtime.type} runtime is not available in this floe version;"
            " use workflows.runtime.type subprocess or docker"
        )


def _run_subprocess(
    context: OpExecutionContext,
    invocation: JobInvocation,
    env: Mapping[str, str],
    runtime: RuntimeConfig,
    project_root: Path,
) -> None:
    folder = runtime.subprocess.working_dir
    cwd = (project_root / folder).resolve() if folder else project_root
    client = _TimedSubprocessClient(cwd=str(cwd), timeout_seconds=invocation.timeout_seconds)
    try:
        client.run(command=list(invocation.argv), context=context, env=dict(env))
    except subprocess.TimeoutExpired:
        raise timed_out(invocation) from None
    except FileNotFoundError as exc:
        raise Failure(
            f"job {invocation.job}: command not found: {invocation.argv[0]!r} ({exc.strerror})"
        ) from None
    except subprocess.SubprocessError as exc:
        raise Failure(f"job {invocation.job}: {exc}") from None
    except Exception as exc:  # Pipes' own error: "External execution process failed with code N"
        if isinstance(exc, ExternalProcessFailed) or type(exc).__name__ == "DagsterPipesExecutionError":
            raise Failure(f"job {invocation.job} failed: {exc}") from None
        raise


class ExternalProcessFailed(Exception):
    """A job's process exited non-zero (Pipes' own error for this lives in dagster._core)."""


class _TimedSubprocessClient(PipesSubprocessClient):
    """PipesSubprocessClient.run with a timeout (it has none). The process leads its own process group so
    that stopping it also stops what it started (a shell's children); a stop request of the run (Dagster's
    interrupt) and a timeout both stop the group: SIGTERM, then SIGKILL after STOP_GRACE_SECONDS."""

    def __init__(self, *, cwd: str, timeout_seconds: int | None) -> None:
        super().__init__(cwd=cwd)
        self._timeout = timeout_seconds

    def run(  # type: ignore[override]
        self,
        *,
        context: OpExecutionContext,
        command: Sequence[str],
        env: Mapping[str, str],
    ) -> PipesClientCompletedInvocation:
        with open_pipes_session(
            context=context, context_injector=self.context_injector, message_reader=self.message_reader
        ) as session:
            process = subprocess.Popen(
                list(command),
                cwd=self.cwd,
                env={**os.environ, **env, **session.get_bootstrap_env_vars()},
                start_new_session=True,
            )
            try:
                code = process.wait(timeout=self._timeout)
            except (subprocess.TimeoutExpired, DagsterExecutionInterruptedError):
                _stop_group(process)
                raise
            finally:
                if process.poll() is None:  # anything else that interrupted the wait
                    _stop_group(process)
            if code != 0:
                raise ExternalProcessFailed(f"External execution process failed with code {code}")
        return PipesClientCompletedInvocation(session)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            continue
        # the leader is gone; its group may live on (children ignoring SIGTERM): kill what remains
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        return


def _run_docker(
    context: OpExecutionContext, invocation: JobInvocation, env: Mapping[str, str], runtime: RuntimeConfig
) -> None:
    try:
        import docker

        from floe_dagster.workflows.docker_step import DockerStepClient, docker_client
    except ImportError:
        raise Failure(
            "the docker runtime needs dagster-docker: pip install 'floe-data-dagster[docker]'"
        ) from None

    settings = runtime.docker
    labels = {RUN_LABEL: context.run_id, JOB_LABEL: invocation.job}
    kwargs: dict[str, object] = {"labels": labels}
    if settings.network:
        kwargs["network"] = settings.network
    if settings.volumes:
        kwargs["volumes"] = list(settings.volumes)
    if invocation.resources is not None:
        if invocation.resources.nano_cpus is not None:
            kwargs["nano_cpus"] = invocation.resources.nano_cpus
        if invocation.resources.memory_bytes is not None:
            kwargs["mem_limit"] = invocation.resources.memory_bytes
    command: list[str] = list(invocation.argv)
    if not invocation.uses_entrypoint:  # `command` replaces the image's entrypoint (contract §3.1)
        kwargs["entrypoint"] = command[:1]
        command = command[1:]
    try:
        client = docker_client(settings.docker_host, os.environ)
    except docker.errors.DockerException as exc:
        raise Failure(f"job {invocation.job} failed: {exc}") from None
    step = DockerStepClient(
        client,
        pull=settings.pull,
        timeout_seconds=invocation.timeout_seconds,
        grace_seconds=STOP_GRACE_SECONDS,
    )
    try:
        step.run(
            context=context, image=invocation.image, command=command, env=dict(env), container_kwargs=kwargs
        )
    except Exception as exc:
        if step.expired.is_set():
            raise timed_out(invocation) from None
        if type(exc).__name__ == "DagsterPipesError" or isinstance(exc, docker.errors.DockerException):
            raise Failure(f"job {invocation.job} failed: {_docker_message(exc)}") from None
        raise
    finally:
        client.close()


def _docker_message(exc: Exception) -> str:
    text = str(exc)
    if "StatusCode" in text:  # "Container exited with non-zero status code: {'StatusCode': 3, ...}"
        code = text.split("'StatusCode':", 1)[1].split(",", 1)[0].split("}", 1)[0].strip()
        return f"container exited with code {code}"
    return text
