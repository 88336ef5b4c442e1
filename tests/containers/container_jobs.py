"""Dagster jobs that run a container with dagster-docker's PipesDockerClient, for tests/containers (imported
as `container_jobs`; also run as a script by the interruption test, see the bottom).

Two ways, side by side, so the tests can show what dagster-docker does alone and what a wrapper must add:

- `shipped_job`: PipesDockerClient exactly as dagster-docker ships it. Its `run()` creates the container,
  streams the logs to the *process's stdout* (not the Dagster event log), raises `DagsterPipesError` on a
  non-zero exit, and in a `finally` only calls `container.stop()`: the container is left behind after
  success, failure and interruption alike.
- `wrapped_job`: the pattern for floe's container steps. Every container of the step carries labels naming
  the run and the step (`container_kwargs`, forwarded to `containers.create`); a `finally` removes every
  container with those labels (so also one created just before an interrupt); stdout and stderr lines go to
  `context.log` (each stream followed on its own; podman's attach hangs on an exited container); an
  interrupt stops the container with SIGTERM and a grace period (PipesDockerClient's `container.stop()`
  passes no timeout, which podman 4.3 takes as 0: SIGKILL at once, exit 137).

The job containers speak no Dagster Pipes (the contract forbids orchestrator libraries in job code): the
Pipes session is opened but never receives a message, and the env the container gets includes Dagster's
DAGSTER_PIPES_CONTEXT / DAGSTER_PIPES_MESSAGES bootstrap variables (floe-job leaves those out of its report).
"""

# no `from __future__ import annotations`: Dagster reads the ops' Config annotations at decoration time

import json
import sys
import threading
from collections.abc import Iterator
from typing import Any

import docker
from dagster import Config, DagsterInstance, DagsterLogManager, Definitions, OpExecutionContext, job, op
from dagster_docker import PipesDockerClient, PipesDockerLogsMessageReader

RUN_LABEL = "floe.run-id"
# A pinned API version: docker-py's default ("auto") asks GET /version first, which podman answers by
# probing its host (runc, conmon, ... --version): ~1 s here. PipesDockerClient.run() pays it on every run
# (it calls docker.client.from_env() with no version, and no environment variable can pin it).
DOCKER_API_VERSION = "1.41"  # podman 4.3's compat API; Docker engines still serve it
STOP_GRACE_SECONDS = 10  # SIGTERM, then SIGKILL after this long (Docker's own default)
STEP_LABEL = "floe.step"


class ContainerConfig(Config):
    image: str
    command: list[str]
    env: dict[str, str] = {}
    labels: dict[str, str] = {}  # the test's own label, to find its containers in the shared store
    volumes: dict[str, str] = {}  # host dir -> container dir (read-write)


def _container_kwargs(config: ContainerConfig, extra_labels: dict[str, str]) -> dict[str, Any]:
    return {
        "labels": {**config.labels, **extra_labels},
        "volumes": {host: {"bind": inside, "mode": "rw"} for host, inside in config.volumes.items()},
    }


def _lines(chunks: Iterator[bytes]) -> Iterator[str]:
    """Log chunks (any size, split anywhere) as whole lines."""
    pending = b""
    for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            yield line.decode(errors="replace")
    if pending:
        yield pending.decode(errors="replace")


class LogForwardingReader(PipesDockerLogsMessageReader):
    """Sends the container's stdout and stderr, line by line, to the step's Dagster log."""

    def __init__(self, log: DagsterLogManager) -> None:
        super().__init__()
        self._log = log

    def _forward(self, container: Any, stream: str) -> None:
        chunks = container.logs(
            stdout=stream == "stdout", stderr=stream == "stderr", stream=True, follow=True
        )
        for line in _lines(chunks):
            self._log.info(f"[{stream}] {line}")

    def consume_docker_logs(self, container: Any) -> None:
        stderr = threading.Thread(target=self._forward, args=(container, "stderr"), daemon=True)
        stderr.start()
        try:
            self._forward(container, "stdout")  # in the op's thread: an interrupt lands here
        except BaseException:
            # Interrupted (run terminated): stop the container *gracefully* before PipesDockerClient's own
            # `container.stop()`, which sends no timeout and so, on podman 4.3, is an immediate SIGKILL.
            container.stop(timeout=STOP_GRACE_SECONDS)
            raise
        stderr.join(timeout=30)


def remove_step_containers(run_id: str, step: str) -> list[str]:
    """Removes (force: running ones too) every container labelled with this run and step; returns their ids."""
    client = docker.from_env(version=DOCKER_API_VERSION)
    try:
        found = client.containers.list(
            all=True, filters={"label": [f"{RUN_LABEL}={run_id}", f"{STEP_LABEL}={step}"]}
        )
        for container in found:
            container.remove(force=True)
        return [c.id for c in found]
    finally:
        client.close()


@op
def shipped_container_op(context: OpExecutionContext, config: ContainerConfig) -> None:
    PipesDockerClient().run(
        context=context,
        image=config.image,
        command=config.command,
        env=config.env,
        container_kwargs=_container_kwargs(config, {}),
    )


@op
def wrapped_container_op(context: OpExecutionContext, config: ContainerConfig) -> None:
    labels = {RUN_LABEL: context.run_id, STEP_LABEL: str(context.op_handle)}
    try:
        PipesDockerClient(message_reader=LogForwardingReader(context.log)).run(
            context=context,
            image=config.image,
            command=config.command,
            env=config.env,
            container_kwargs=_container_kwargs(config, labels),
        )
    finally:
        removed = remove_step_containers(labels[RUN_LABEL], labels[STEP_LABEL])
        context.log.debug(f"removed containers {removed}")


@job
def shipped_job() -> None:
    shipped_container_op()


@job
def wrapped_job() -> None:
    wrapped_container_op()


JOBS = {"shipped": shipped_job, "wrapped": wrapped_job}
defs = Definitions(jobs=[shipped_job, wrapped_job])  # for `dagster dev -f container_jobs.py`


def run_config(op_name: str, config: ContainerConfig) -> dict[str, Any]:
    return {"ops": {op_name: {"config": config.model_dump()}}}


OPS = {"shipped": "shipped_container_op", "wrapped": "wrapped_container_op"}


if __name__ == "__main__":
    # python container_jobs.py <shipped|wrapped> '<ContainerConfig JSON>': runs the job in process (as a run
    # worker would) and prints one JSON line with the run's status, for the interruption test to read.
    variant, raw = sys.argv[1], sys.argv[2]
    cfg = ContainerConfig.model_validate_json(raw)
    with DagsterInstance.ephemeral() as instance:
        result = JOBS[variant].execute_in_process(
            run_config=run_config(OPS[variant], cfg), instance=instance, raise_on_error=False
        )
        print(json.dumps({"status": result.dagster_run.status.value}), flush=True)
