"""The container stack the workflow runtimes build on: the docker SDK against podman's Docker-compatible
socket, running floe's local test images (containers/build.sh) and their job script (containers/floe-job)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import docker
import pytest
from docker.models.containers import Container
from floe_containers import JOB

pytestmark = pytest.mark.containers

# argv and env that a shell would mangle: spaces, quotes, backslashes, an empty argument, newlines, a tab
ARGV = ["--ds", "2024-01-31", "two words", 'say "hi"', "back\\slash", "", "multi\nline"]
ENV = {"DS": "2024-01-31", "GREETING": 'a "quoted"\tvalue\nsecond line', "EMPTY": ""}


def wait_for_log(container: Container, text: bytes) -> None:
    """Until `text` is in the container's logs (bounded: fails, never hangs)."""
    deadline = time.monotonic() + 60
    while text not in container.logs():
        assert time.monotonic() < deadline, (
            f"no {text!r} in the logs of {container.name}: {container.logs()!r}"
        )
        container.reload()
        assert container.status in ("created", "running"), f"container ended early: {container.logs()!r}"
        time.sleep(0.1)


def result_files(out: Path) -> list[dict[str, object]]:
    return [json.loads(path.read_text()) for path in sorted(out.glob("*.json"))]


@pytest.mark.parametrize("image_fixture", ["busybox_image", "python_image"])
def test_job_reports_exactly_its_argv_and_env(
    image_fixture: str,
    request: pytest.FixtureRequest,
    docker_client: docker.DockerClient,
    label: dict[str, str],
    labelled: Callable[[], list[Container]],
) -> None:
    image = request.getfixturevalue(image_fixture)
    container = docker_client.containers.run(image, [JOB, *ARGV], environment=ENV, labels=label, detach=True)
    assert container.wait()["StatusCode"] == 0
    stdout = container.logs(stdout=True, stderr=False).decode()
    stderr = container.logs(stdout=False, stderr=True).decode()
    container.remove()

    (line,) = stdout.splitlines()  # one JSON line on stdout, nothing else
    report = json.loads(line)
    assert report["argv"] == ARGV
    assert report["env"] == ENV  # the runtime's own variables (PATH, HOSTNAME, container, ...) left out
    assert stderr.splitlines() == [
        "floe-job: floe-job started",
        "floe-job: floe-job finished with exit code 0",
    ]
    assert labelled() == []


def test_exit_code_is_reported_and_container_removed(
    docker_client: docker.DockerClient,
    busybox_image: str,
    label: dict[str, str],
    labelled: Callable[[], list[Container]],
) -> None:
    container = docker_client.containers.run(
        busybox_image, [JOB], environment={"FLOE_JOB_EXIT": "3"}, labels=label, detach=True
    )
    assert container.wait() == {"StatusCode": 3, "Error": None}
    container.reload()
    assert container.attrs["State"]["ExitCode"] == 3
    assert [c.id for c in labelled()] == [container.id]  # kept until removed...
    container.remove()
    assert labelled() == []  # ...and gone after


def test_sdk_run_raises_with_the_exit_code_and_removes(
    docker_client: docker.DockerClient,
    busybox_image: str,
    label: dict[str, str],
    labelled: Callable[[], list[Container]],
) -> None:
    """`containers.run(remove=True)`, not detached: a failing container raises ContainerError with its code."""
    with pytest.raises(docker.errors.ContainerError) as failed:
        docker_client.containers.run(
            busybox_image, ["sh", "-c", "echo oops >&2; exit 7"], labels=label, remove=True
        )
    assert failed.value.exit_status == 7
    assert labelled() == []


def test_result_file_in_a_mounted_dir(
    docker_client: docker.DockerClient,
    busybox_image: str,
    tmp_path: Path,
    label: dict[str, str],
    labelled: Callable[[], list[Container]],
) -> None:
    container = docker_client.containers.run(
        busybox_image,
        [JOB, "a", "b c"],
        environment={"FLOE_JOB_NAME": "extract", "FLOE_JOB_OUT": "/out", "FLOE_JOB_EXIT": "4", "X": "1"},
        volumes={str(tmp_path): {"bind": "/out", "mode": "rw"}},
        labels=label,
        detach=True,
    )
    assert container.wait()["StatusCode"] == 4
    container.remove()
    (result,) = result_files(tmp_path)
    assert result["job"] == "extract"
    assert result["argv"] == ["a", "b c"]
    assert result["env"] == {
        "FLOE_JOB_NAME": "extract",
        "FLOE_JOB_OUT": "/out",
        "FLOE_JOB_EXIT": "4",
        "X": "1",
    }
    assert (result["exit"], result["signal"]) == (4, None)
    assert isinstance(result["started_mono"], float)
    assert isinstance(result["finished_mono"], float)
    assert result["finished_mono"] >= result["started_mono"]
    assert labelled() == []


def test_stop_with_a_timeout_terminates_gracefully(
    docker_client: docker.DockerClient,
    busybox_image: str,
    tmp_path: Path,
    label: dict[str, str],
    labelled: Callable[[], list[Container]],
) -> None:
    """A stop request reaches the job as SIGTERM (the job's trap writes its result and exits 143)."""
    container = docker_client.containers.run(
        busybox_image,
        [JOB],
        environment={"FLOE_JOB_SLEEP": "600", "FLOE_JOB_OUT": "/out"},
        volumes={str(tmp_path): {"bind": "/out", "mode": "rw"}},
        labels=label,
        detach=True,
    )
    wait_for_log(container, b"started")
    container.stop(timeout=30)
    assert container.wait()["StatusCode"] == 143  # 128 + SIGTERM: not 137 (SIGKILL after the grace time)
    container.remove()
    (result,) = result_files(tmp_path)
    assert (result["exit"], result["signal"]) == (143, "TERM")
    assert labelled() == []


def test_stop_without_a_timeout_is_a_kill_on_podman(
    docker_client: docker.DockerClient,
    busybox_image: str,
    tmp_path: Path,
    label: dict[str, str],
) -> None:
    """podman 4.3's API takes a stop without `t` as t=0: SIGKILL at once, the job gets no SIGTERM. Docker
    would wait 10 s. This is what dagster-docker's `container.stop()` does (container_jobs.py works around
    it); if a podman update changes it, this test says so."""
    container = docker_client.containers.run(
        busybox_image,
        [JOB],
        environment={"FLOE_JOB_SLEEP": "600", "FLOE_JOB_OUT": "/out"},
        volumes={str(tmp_path): {"bind": "/out", "mode": "rw"}},
        labels=label,
        detach=True,
    )
    wait_for_log(container, b"started")
    container.stop()
    assert container.wait()["StatusCode"] == 137
    container.remove()
    assert result_files(tmp_path) == []  # killed: the trap never ran


def test_python_image_has_python_3_11(docker_client: docker.DockerClient, python_image: str) -> None:
    output = docker_client.containers.run(
        python_image, ["python3", "-c", "import sys; print(sys.version_info[:2])"], remove=True
    )
    assert output.decode().strip() == "(3, 11)"
