"""dagster-docker's PipesDockerClient on podman, inside real Dagster runs: what it does as shipped, and the
wrapper pattern (container_jobs.wrapped_container_op) that floe's container steps need:

                        as shipped (0.29)                        wrapped
  container output      process stdout (stderr merged into it)   context.log, "[stdout] ..." / "[stderr] ..."
  exit code != 0        DagsterPipesError "Container exited      same error: the step fails with the code
                        with non-zero status code: {...3...}"
  after the run         container left behind (exited)           removed (by run/step labels, in a finally)
  interrupted           container.stop() with no timeout =       SIGTERM + grace period, then removed
                        SIGKILL on podman; left behind
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import docker
import pytest
from container_jobs import JOBS, OPS, ContainerConfig, run_config
from dagster import DagsterInstance, DagsterRunStatus, ExecuteInProcessResult
from docker.models.containers import Container
from floe_containers import JOB

pytestmark = pytest.mark.containers

JOBS_SCRIPT = Path(__file__).with_name("container_jobs.py")
PIPES_FAILURE = "Container exited with non-zero status code: {'StatusCode': 3, 'Error': None}"


def execute(variant: str, config: ContainerConfig, instance: DagsterInstance) -> ExecuteInProcessResult:
    return JOBS[variant].execute_in_process(
        run_config=run_config(OPS[variant], config), instance=instance, raise_on_error=False
    )


def log_messages(instance: DagsterInstance, run_id: str) -> list[str]:
    return [entry.user_message for entry in instance.all_logs(run_id) if entry.user_message]


def step_failure(result: ExecuteInProcessResult) -> str:
    (failure,) = [event for event in result.all_events if event.is_step_failure]
    error = failure.step_failure_data.error
    assert error is not None
    return error.to_string()


@pytest.mark.usefixtures("docker_env")
@pytest.mark.parametrize("code", [0, 3])
def test_shipped_client_leaves_the_container_behind(
    code: int,
    busybox_image: str,
    label: dict[str, str],
    labelled: Callable[[], list[Container]],
    capfd: pytest.CaptureFixture[str],
) -> None:
    config = ContainerConfig(
        image=busybox_image, command=[JOB, "x"], env={"FLOE_JOB_EXIT": str(code)}, labels=label
    )
    with DagsterInstance.ephemeral() as instance:
        result = execute("shipped", config, instance)
        messages = log_messages(instance, result.run_id)

    assert result.success is (code == 0)
    if code:
        assert PIPES_FAILURE in step_failure(result)
    # the container's output went to this process's stdout, not to the run's log
    assert '"argv": ["x"]' in capfd.readouterr().out
    assert not any('"argv": ["x"]' in message for message in messages)
    (left,) = labelled()  # removed by the `labelled` fixture afterwards
    assert left.status == "exited"
    assert left.attrs["State"]["ExitCode"] == code


@pytest.mark.usefixtures("docker_env")
@pytest.mark.parametrize(("image_fixture", "code"), [("python_image", 0), ("busybox_image", 3)])
def test_wrapped_client_logs_both_streams_and_removes_the_container(
    image_fixture: str,
    code: int,
    request: pytest.FixtureRequest,
    label: dict[str, str],
    labelled: Callable[[], list[Container]],
) -> None:
    config = ContainerConfig(
        image=request.getfixturevalue(image_fixture),
        command=[JOB, "--ds", "2024-01-31"],
        # FLOE_JOB_ENV: report the Pipes bootstrap variables PipesDockerClient adds to every container
        env={
            "FLOE_JOB_EXIT": str(code),
            "FLOE_JOB_ENV": "DS DAGSTER_PIPES_CONTEXT DAGSTER_PIPES_MESSAGES",
            "DS": "2024-01-31",
        },
        labels=label,
    )
    with DagsterInstance.ephemeral() as instance:
        result = execute("wrapped", config, instance)
        messages = log_messages(instance, result.run_id)

    assert result.success is (code == 0)
    if code:
        assert PIPES_FAILURE in step_failure(result)
    (stdout,) = [m.removeprefix("[stdout] ") for m in messages if m.startswith("[stdout] ")]
    report = json.loads(stdout)
    assert report["argv"] == ["--ds", "2024-01-31"]
    assert report["env"]["DS"] == "2024-01-31"
    assert set(report["env"]) == {"DS", "DAGSTER_PIPES_CONTEXT", "DAGSTER_PIPES_MESSAGES"}
    assert [m for m in messages if m.startswith("[stderr] ")] == [
        "[stderr] floe-job: floe-job started",
        f"[stderr] floe-job: floe-job finished with exit code {code}",
    ]
    # every run of a job that speaks no Pipes ends with this warning (one per step)
    assert sum("[pipes] did not receive any messages" in m for m in messages) == 1
    assert labelled() == []


def wait_until_running(find: Callable[[], list[Container]], proc: subprocess.Popen[str]) -> Container:
    deadline = time.monotonic() + 120
    while True:
        running = [c for c in find() if c.status == "running" and b"started" in c.logs()]
        if running:
            return running[0]
        assert proc.poll() is None, f"the run ended before its container started:\n{proc.communicate()[0]}"
        assert time.monotonic() < deadline, "the container never started"
        time.sleep(0.2)


@pytest.mark.usefixtures("docker_env")
@pytest.mark.parametrize("variant", ["shipped", "wrapped"])
def test_interrupted_run_stops_the_container(
    variant: str,
    busybox_image: str,
    tmp_path: Path,
    label: dict[str, str],
    labelled: Callable[[], list[Container]],
) -> None:
    """A run worker interrupted mid-step (SIGINT: what Dagster's run termination delivers to the process
    executing the step) stops the container: with a kill as shipped, with SIGTERM when wrapped."""
    config = ContainerConfig(
        image=busybox_image,
        command=[JOB],
        env={"FLOE_JOB_SLEEP": "600", "FLOE_JOB_OUT": "/out"},
        labels=label,
        volumes={str(tmp_path): "/out"},
    )
    proc = subprocess.Popen(
        [sys.executable, str(JOBS_SCRIPT), variant, config.model_dump_json()],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        container = wait_until_running(labelled, proc)
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=120)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert json.loads(output.splitlines()[-1]) == {"status": DagsterRunStatus.FAILURE.value}, output
    assert "DagsterExecutionInterruptedError" in output

    results = [json.loads(p.read_text()) for p in tmp_path.glob("*.json")]
    if variant == "shipped":
        (left,) = labelled()
        assert left.id == container.id
        assert left.attrs["State"]["ExitCode"] == 137  # SIGKILL: no grace for the job
        assert results == []
    else:
        assert labelled() == []
        (result,) = results
        assert (result["exit"], result["signal"]) == (143, "TERM")


def test_docker_host_is_the_only_way_to_point_pipes_docker_client(docker_env: dict[str, str]) -> None:
    """PipesDockerClient.run() builds its client with `docker.client.from_env()`: DOCKER_HOST must be in the
    environment of the process running the step (floe's runtime must set it for run workers)."""
    client = docker.client.from_env()
    try:
        assert client.api.base_url.startswith("http+docker://")
        assert client.ping()
        assert client.version()["Components"][0]["Name"] == "Podman Engine"
    finally:
        client.close()
