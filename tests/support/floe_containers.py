"""Real containers for tests (importable as `floe_containers`): podman's Docker-compatible socket and the
local test images (docs/containers.md).

- `container_runtime()` locates or starts the podman API socket (`.ci/containers.sh --no-install`: it never
  installs packages from a test) and returns its `DOCKER_HOST` with the environment the podman CLI needs.
- `ensure_image(ref)` builds one of the test images when missing or stale (`containers/build.sh`).

Both follow `floe_testkit.require`: podman absent skips the test locally and fails it under CI=true.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from floe_testkit import require

REPO = Path(__file__).resolve().parents[2]
SETUP_SCRIPT = REPO / ".ci" / "containers.sh"
BUILD_SCRIPT = REPO / "containers" / "build.sh"

BUSYBOX_IMAGE = "floe-test/busybox:1"
PYTHON_IMAGE = "floe-test/python:3.11"
_BUILD_TARGETS = {BUSYBOX_IMAGE: "busybox", PYTHON_IMAGE: "python"}
JOB = "/usr/local/bin/floe-job"  # the job script both images carry (containers/floe-job)

# containers.conf / storage.conf paths: the podman CLI needs them, the API socket does not
_PODMAN_ENV_KEYS = ("CONTAINERS_CONF", "CONTAINERS_STORAGE_CONF")


@dataclass(frozen=True)
class ContainerRuntime:
    """Where the Docker-compatible API answers, and what a `podman` command needs to see the same setup."""

    docker_host: str
    podman_env: dict[str, str]

    def env(self) -> dict[str, str]:
        """Variables for a subprocess (or `monkeypatch.setenv`) that talks to this runtime: the docker SDK's
        `from_env()` — which dagster-docker's PipesDockerClient uses — reads DOCKER_HOST."""
        return {"DOCKER_HOST": self.docker_host, **self.podman_env}


def _ping(docker_host: str) -> bool:
    import docker
    import docker.errors
    import requests

    try:
        client = docker.DockerClient(base_url=docker_host, timeout=5)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (docker.errors.DockerException, requests.RequestException, OSError):
        return False


def _podman_env(env_file: Path) -> dict[str, str]:
    """`export NAME=value` lines of .containers/env (written by .ci/containers.sh)."""
    found: dict[str, str] = {}
    if env_file.is_file():
        for line in env_file.read_text().splitlines():
            name, _, value = line.removeprefix("export ").partition("=")
            if name in _PODMAN_ENV_KEYS:
                found[name] = value
    return found


@functools.cache
def _locate_or_start() -> ContainerRuntime | str:
    """The runtime, or why there is none (cached: one setup per test process)."""
    try:
        import docker  # noqa: F401  (the SDK comes with dagster-docker, a dev dependency)
    except ImportError:
        return "the docker SDK (uv sync: dagster-docker is a dev dependency)"
    external = os.environ.get("DOCKER_HOST")
    if external and _ping(external):
        return ContainerRuntime(external, {k: os.environ[k] for k in _PODMAN_ENV_KEYS if k in os.environ})
    if shutil.which("podman") is None:
        return "podman (run `.ci/containers.sh` as root to install and start it)"
    done = subprocess.run(
        ["bash", str(SETUP_SCRIPT), "--no-install"], capture_output=True, text=True, check=False, timeout=120
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines or not lines[-1].startswith("DOCKER_HOST="):
        return f"podman's API socket (.ci/containers.sh --no-install exited {done.returncode}: {done.stderr.strip()})"
    docker_host = lines[-1].removeprefix("DOCKER_HOST=")
    if not _ping(docker_host):
        return f"podman's API socket at {docker_host} (started, but the docker SDK's ping fails)"
    return ContainerRuntime(docker_host, _podman_env(REPO / ".containers" / "env"))


def container_runtime() -> ContainerRuntime:
    """podman's Docker-compatible API, started if needed; skips (locally) or fails (CI=true) without podman."""
    found = _locate_or_start()
    if isinstance(found, str):
        require(False, found)  # skips or fails: never returns
    assert isinstance(found, ContainerRuntime)
    return found


@functools.cache
def _build(ref: str) -> str | None:
    """Runs containers/build.sh for `ref`; returns its output when it failed."""
    runtime = container_runtime()
    done = subprocess.run(
        ["bash", str(BUILD_SCRIPT), _BUILD_TARGETS[ref]],
        env={**os.environ, **runtime.podman_env},
        capture_output=True,
        text=True,
        check=False,
        timeout=900,  # a cold python rootfs is ~90 s; the lock may make us wait for another worker's build
    )
    return None if done.returncode == 0 else f"{done.stdout}\n{done.stderr}"


def ensure_image(ref: str) -> str:
    """The test image `ref` (BUSYBOX_IMAGE or PYTHON_IMAGE), built or refreshed when needed; returns `ref`."""
    if ref not in _BUILD_TARGETS:
        raise ValueError(f"not a floe test image: {ref!r} (known: {', '.join(_BUILD_TARGETS)})")
    failure = _build(ref)
    if failure is not None:
        pytest.fail(f"building test image {ref} failed (containers/build.sh):\n{failure[-4000:]}")
    return ref


def unique_label() -> dict[str, str]:
    """A label for one test's containers: the podman store is shared with other tests and checkouts, so a
    test finds (and counts) only its own containers by this label."""
    return {"floe.test": uuid.uuid4().hex}
