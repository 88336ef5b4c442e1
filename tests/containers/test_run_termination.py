"""A Dagster run terminated from the UI's API (GraphQL `terminateRun`, under a real `dagster dev`: run
launcher, run worker, multiprocess executor) stops and removes the container of its running step: the
wrapper pattern (container_jobs.wrapped_container_op) receives the interrupt Dagster delivers to the step
process, stops the container with SIGTERM and a grace period, and removes it."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
import pytest
from container_jobs import ContainerConfig, run_config
from docker.models.containers import Container
from floe_containers import JOB, REPO, ContainerRuntime

sys.path.insert(0, str(REPO / "tests" / "orchestration"))
from dev_server import DevServer, dagster_dev

pytestmark = [pytest.mark.containers, pytest.mark.slow]

REPOSITORIES = "{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }"
LAUNCH = """mutation($p: ExecutionParams!) { launchRun(executionParams: $p) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""
TERMINATE = """mutation($id: String!) { terminateRun(runId: $id) {
  __typename ... on TerminateRunFailure { message } ... on PythonError { message } } }"""
STATUS = "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"


def launch(dev: DevServer, job: str, config: dict[str, Any]) -> str:
    repos = dev.wait_for(
        "the code location", lambda: dev.graphql(REPOSITORIES)["repositoriesOrError"]["nodes"] or None, 120
    )
    selector = {"repositoryLocationName": repos[0]["location"]["name"], "repositoryName": repos[0]["name"]}
    launched = dev.graphql(LAUNCH, {"p": {"selector": {**selector, "jobName": job}, "runConfigData": config}})
    assert launched["launchRun"]["__typename"] == "LaunchRunSuccess", launched
    run_id: str = launched["launchRun"]["run"]["runId"]
    return run_id


def terminate_when_running(dev: DevServer, run_id: str, containers: Callable[[], list[Container]]) -> None:
    """Wait for the step's container to run, terminate the run, wait for CANCELED and (the step's cleanup
    runs before its process exits) for the run's containers to be gone."""

    def running() -> Container | None:
        return next((c for c in containers() if c.status == "running" and b"started" in c.logs()), None)

    dev.wait_for("the step's container to run", running, 180)
    terminated = dev.graphql(TERMINATE, {"id": run_id})["terminateRun"]
    assert terminated["__typename"] == "TerminateRunSuccess", terminated

    def final_status() -> str | None:
        status: str = dev.graphql(STATUS, {"id": run_id})["runOrError"]["status"]
        return status if status in {"CANCELED", "FAILURE", "SUCCESS"} else None

    assert dev.wait_for("the run to end", final_status, 120) == "CANCELED"
    deadline = time.monotonic() + 60
    while containers() and time.monotonic() < deadline:
        time.sleep(0.5)


def test_terminated_run_stops_and_removes_the_container(
    runtime: ContainerRuntime,
    busybox_image: str,
    tmp_path: Path,
    label: dict[str, str],
    labelled: Callable[[], list[Container]],
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    config = ContainerConfig(
        image=busybox_image,
        command=[JOB],
        env={"FLOE_JOB_SLEEP": "600", "FLOE_JOB_OUT": "/out"},
        labels=label,
        volumes={str(out): "/out"},
    )
    project = Path(__file__).parent
    with dagster_dev(project, "container_jobs.py", tmp_path / "home", runtime.env()) as dev:
        run_id = launch(dev, "wrapped_job", run_config("wrapped_container_op", config))
        terminate_when_running(dev, run_id, labelled)

    assert labelled() == []
    (result,) = [json.loads(p.read_text()) for p in out.glob("*.json")]
    assert (result["exit"], result["signal"]) == (143, "TERM")  # a graceful stop, not a kill


def test_terminated_workflow_run_stops_its_docker_step_gracefully_and_removes_it(
    runtime: ContainerRuntime, busybox_image: str, tmp_path: Path
) -> None:
    """The same for floe's own docker runtime (floe_dagster.workflows.docker_step): the step's container
    gets SIGTERM (exit 143, not podman's immediate SIGKILL) and is gone once the run is CANCELED."""
    from floe_core.compiler import compile_project
    from floe_dbt.compile_step import run as floe_dbt_step

    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o777)
    project = tmp_path / "project"
    (project / "workflows" / "long").mkdir(parents=True)
    (project / "floe.yaml").write_text(
        "name: long\nversion: '1.0'\ncompute:\n  default: dev\n  targets:\n"
        "    dev: {type: duckdb, properties: {path: long.duckdb}}\n"
        "workflows:\n  path: workflows\n  runtime:\n    type: docker\n"
        f'    docker: {{docker_host: "{runtime.docker_host}", volumes: ["{out}:/out"], pull: never}}\n'
    )
    (project / "workflows" / "long" / "workflow.yaml").write_text(
        "workflow:\n  name: long\n  jobs:\n    - job:\n        name: sleeper\n"
        f'        image: {busybox_image}\n        command: ["{JOB}"]\n'
        "        env: {FLOE_JOB_NAME: sleeper, FLOE_JOB_OUT: /out, FLOE_JOB_SLEEP: '600'}\n"
    )
    compile_project(project / "floe.yaml", steps={"dbt": floe_dbt_step})
    (project / "definitions.py").write_text(
        "from floe_dagster import FloeDefinitions\n\ndefs = FloeDefinitions.from_compiled_artifacts()\n"
    )
    client = docker.DockerClient(base_url=runtime.docker_host)
    try:
        with dagster_dev(project, "definitions.py", tmp_path / "home", runtime.env()) as dev:
            run_id = launch(dev, "long", {})

            def containers() -> list[Container]:
                return list(client.containers.list(all=True, filters={"label": f"floe.run_id={run_id}"}))

            terminate_when_running(dev, run_id, containers)
            assert containers() == []
    finally:
        client.close()
    (result,) = [json.loads(p.read_text()) for p in out.glob("*.json")]
    assert (result["job"], result["exit"], result["signal"]) == ("sleeper", 143, "TERM")
