"""tests/containers fixtures: podman's Docker-compatible API and the local test images (floe_containers).
container_jobs.py (the Dagster jobs these tests run) is put on sys.path here: importlib mode."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest
from docker.models.containers import Container
from floe_containers import (
    BUSYBOX_IMAGE,
    PYTHON_IMAGE,
    ContainerRuntime,
    container_runtime,
    ensure_image,
    unique_label,
)

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def runtime() -> ContainerRuntime:
    return container_runtime()


@pytest.fixture(scope="session")
def docker_client(runtime: ContainerRuntime) -> Iterator[docker.DockerClient]:
    client = docker.DockerClient(base_url=runtime.docker_host)
    yield client
    client.close()


@pytest.fixture(scope="session")
def busybox_image(runtime: ContainerRuntime) -> str:
    return ensure_image(BUSYBOX_IMAGE)


@pytest.fixture(scope="session")
def python_image(runtime: ContainerRuntime) -> str:
    return ensure_image(PYTHON_IMAGE)


@pytest.fixture
def docker_env(runtime: ContainerRuntime, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """DOCKER_HOST (and podman's config) in this process's environment: dagster-docker's PipesDockerClient
    takes its client from `docker.from_env()` and has no other way to be pointed at a socket."""
    for name, value in runtime.env().items():
        monkeypatch.setenv(name, value)
    return runtime.env()


@pytest.fixture
def label() -> dict[str, str]:
    return unique_label()


@pytest.fixture
def labelled(
    docker_client: docker.DockerClient, label: dict[str, str]
) -> Iterator[Callable[[], list[Container]]]:
    """This test's containers (running or not), found by its unique label."""
    ((key, value),) = label.items()

    def find() -> list[Container]:
        return list(docker_client.containers.list(all=True, filters={"label": f"{key}={value}"}))

    yield find
    for container in find():  # whatever a test left behind (on purpose or by failing)
        container.remove(force=True)
