"""One container job step on a Docker-compatible API, with one docker client and the fewest API calls.

dagster-docker's `PipesDockerClient.run()` builds its own client (`docker.from_env()`, whose default API
version "auto" asks `GET /version`: podman answers it by probing its host's runc/conmon packages, ~0.5 s),
and in a `finally` stops the container (an exited one too; with no timeout, which podman 4.3 takes as an
immediate SIGKILL) and leaves it behind. floe used to remove it afterwards with a *second* client (another
`GET /version`) listing the step's containers by label. bench/notes.md has the profile: ~1 s of a 1 s job.

Here, per step: one client whose API version comes from `GET /_ping`'s `Api-Version` header (what the
Docker CLI negotiates with; instant on podman and Docker), then create → start → follow the logs → wait →
remove. The container is stopped only when it may still run: an interrupt (a terminated run), a timeout,
or an error while it ran — SIGTERM, SIGKILL after the grace period — and it is always removed, by the
object this step created (no list by label).

The Pipes session, context injection and log reading are PipesDockerClient's own (this class subclasses it
and keeps its injector and `PipesDockerLogsMessageReader`); only `run()` differs.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from contextlib import suppress
from typing import Any, Literal

import docker
import docker.errors
from dagster import OpExecutionContext, PipesClientCompletedInvocation, open_pipes_session
from dagster_docker import PipesDockerClient, PipesDockerLogsMessageReader
from dagster_pipes import DagsterPipesError

# The version docker-py speaks until the ping has answered (only the ping itself is sent with it).
BOOTSTRAP_API_VERSION = "1.24"


def docker_client(docker_host: str | None, environ: Mapping[str, str]) -> docker.DockerClient:
    """A client for `docker_host` (default: DOCKER_HOST and the TLS variables in `environ`, as
    `docker.from_env()`), speaking the API version the server announces on `/_ping`."""
    environment = dict(environ)
    if docker_host:
        environment["DOCKER_HOST"] = docker_host
    client = docker.DockerClient.from_env(version=BOOTSTRAP_API_VERSION, environment=environment)
    try:
        response = client.api.get(f"{client.api.base_url}/_ping")
        response.raise_for_status()
        announced = response.headers.get("Api-Version")
        if announced:
            client.api._version = announced  # docker-py has no public setter; "auto" would cost GET /version
        else:  # a server that does not announce it: docker-py's own negotiation
            client.api._version = client.api._retrieve_server_version()
    except BaseException:
        client.close()
        raise
    return client


class DockerStepClient(PipesDockerClient):
    """PipesDockerClient.run() on a given client: no client of its own, no stop of an exited container,
    the container always removed; `pull` as floe.yaml says; a timeout stops the container gracefully (the
    wait then ends with its non-zero status and `expired` is set)."""

    def __init__(
        self,
        client: docker.DockerClient,
        *,
        pull: Literal["never", "missing", "always"] = "missing",
        timeout_seconds: float | None = None,
        grace_seconds: int = 10,
    ) -> None:
        super().__init__()
        self._client = client
        self._pull = pull
        self._timeout = timeout_seconds
        self._grace = grace_seconds
        self.expired = threading.Event()

    def run(  # type: ignore[override]
        self,
        *,
        context: OpExecutionContext,
        image: str,
        command: Sequence[str],
        env: Mapping[str, str],
        container_kwargs: Mapping[str, Any],
    ) -> PipesClientCompletedInvocation:
        with open_pipes_session(
            context=context, context_injector=self.context_injector, message_reader=self.message_reader
        ) as session:
            kwargs = dict(container_kwargs)
            environment = {**session.get_bootstrap_env_vars(), **env, **kwargs.pop("environment", {})}
            container = self._create(image, command, environment, kwargs)
            finished = False
            timer = None
            try:
                container.start()
                if self._timeout is not None:
                    timer = threading.Timer(self._timeout, self._expire, args=(container,))
                    timer.daemon = True
                    timer.start()
                if isinstance(self.message_reader, PipesDockerLogsMessageReader):
                    self.message_reader.consume_docker_logs(container)
                status = container.wait()
                finished = True
                if status["StatusCode"] != 0:
                    raise DagsterPipesError(f"Container exited with non-zero status code: {status}")
            finally:
                if timer is not None:
                    timer.cancel()
                if not finished:  # interrupted or failed while it may run: SIGTERM, SIGKILL after the grace
                    with suppress(docker.errors.DockerException):
                        container.stop(timeout=self._grace)
                # force: a stop that failed above leaves a running container, which must go all the same
                with suppress(docker.errors.NotFound):
                    container.remove(force=True)
        return PipesClientCompletedInvocation(session)

    def _create(
        self, image: str, command: Sequence[str], environment: Mapping[str, str], kwargs: Mapping[str, Any]
    ) -> Any:
        containers = self._client.containers
        if self._pull == "always":
            self._client.images.pull(image)
        try:
            return containers.create(
                image=image, command=list(command), detach=True, environment=environment, **kwargs
            )
        except docker.errors.ImageNotFound:
            if self._pull == "never":
                raise
            self._client.images.pull(image)
            return containers.create(
                image=image, command=list(command), detach=True, environment=environment, **kwargs
            )

    def _expire(self, container: Any) -> None:
        self.expired.set()
        with suppress(docker.errors.DockerException):
            container.stop(timeout=self._grace)
