"""The workflows' docker runtime on real podman containers (floe_dagster.workflows.runtimes): the rendered
argv and env reach the container, a non-zero exit fails the job with its code and stops its dependents, and
no container is left behind (dagster-docker's PipesDockerClient only stops them)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import docker
import pytest
from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    build_reconstructable_job,
    execute_job,
)
from floe_containers import JOB, ContainerRuntime

WORKFLOW_JOBS = Path(__file__).parents[1] / "workflows"  # workflow_jobs.py: rebuilds the job in each process

pytestmark = pytest.mark.slow


def _project(root: Path, out: Path, image: str, runtime: ContainerRuntime) -> Path:
    (root / "workflows" / "boxed").mkdir(parents=True)
    (root / "floe.yaml").write_text(
        textwrap.dedent(
            f"""\
            name: boxed
            version: "1.0"
            compute:
              default: dev
              targets:
                dev: {{type: duckdb, properties: {{path: boxed.duckdb}}}}
            workflows:
              path: workflows
              runtime:
                type: docker
                docker: {{docker_host: "{runtime.docker_host}", volumes: ["{out}:/out"]}}
            """
        )
    )
    (root / "workflows" / "boxed" / "workflow.yaml").write_text(
        textwrap.dedent(
            f"""\
            workflow:
              name: boxed
              jobs:
                - job:
                    name: extract
                    image: {image}
                    command: ["{JOB}", "--date", "{{{{ ds }}}}"]
                    params: {{region: eu}}
                    env: {{FLOE_JOB_NAME: extract, FLOE_JOB_OUT: /out, FLOE_JOB_ENV: "REGION FLOE_JOB_NAME"}}
                - job:
                    name: load
                    image: {image}
                    command: ["{JOB}"]
                    env: {{FLOE_JOB_NAME: load, FLOE_JOB_OUT: /out, FLOE_JOB_EXIT: "5"}}
                  depends_on: [extract]
                - job:
                    name: report
                    image: {image}
                    command: ["{JOB}"]
                    env: {{FLOE_JOB_NAME: report, FLOE_JOB_OUT: /out}}
                  depends_on: [load]
            """
        )
    )
    return root


def test_containers_get_the_plan_fail_with_their_code_and_are_removed(
    tmp_path: Path, busybox_image: str, runtime: ContainerRuntime, docker_env: dict[str, str]
) -> None:
    from floe_core.compiler import compile_project
    from floe_dbt.compile_step import run as floe_dbt_step

    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o777)
    project = _project(tmp_path / "project", out, busybox_image, runtime)
    compile_project(project / "floe.yaml", steps={"dbt": floe_dbt_step})
    artifacts = str(project / ".floe" / "compiled_artifacts.json")
    recon = build_reconstructable_job(
        "workflow_jobs",
        "workflow_job",
        (artifacts, "boxed"),
        reconstructor_working_directory=str(WORKFLOW_JOBS),
    )
    home = tmp_path / "home"
    home.mkdir()
    with (
        DagsterInstance.local_temp(str(home)) as instance,
        execute_job(
            recon, instance=instance, raise_on_error=False, tags={"floe/date": "2024-05-01"}
        ) as result,
    ):
        run_id, events = result.run_id, list(result.all_events)
        status = result.dagster_run.status

    assert status == DagsterRunStatus.FAILURE
    reports: dict[str, Any] = {}
    for path in out.glob("*.json"):
        report = json.loads(path.read_text())
        reports[report["job"]] = report
    assert sorted(reports) == ["extract", "load"]  # report never ran: load failed for good
    assert reports["extract"]["argv"] == ["--date", "2024-05-01"]  # the rendered ds, through the entrypoint
    assert reports["extract"]["env"] == {"REGION": "eu", "FLOE_JOB_NAME": "extract"}  # params as env
    failure = next(e for e in events if e.event_type == DagsterEventType.STEP_FAILURE)
    assert (
        failure.step_key == "load"
        and "container exited with code 5" in failure.event_specific_data.error.message
    )
    client = docker.DockerClient(base_url=runtime.docker_host)
    try:
        left = client.containers.list(all=True, filters={"label": f"floe.run_id={run_id}"})
    finally:
        client.close()
    assert left == []


def test_a_container_over_its_timeout_is_stopped_removed_and_fails_saying_so(
    tmp_path: Path, busybox_image: str, runtime: ContainerRuntime, docker_env: dict[str, str]
) -> None:
    from floe_core.compiler import compile_project
    from floe_dbt.compile_step import run as floe_dbt_step

    project = tmp_path / "project"
    _project(project, tmp_path, busybox_image, runtime)
    (project / "workflows" / "boxed" / "workflow.yaml").write_text(
        textwrap.dedent(
            f"""\
            workflow:
              name: boxed
              jobs:
                - job:
                    name: sleeper
                    image: {busybox_image}
                    command: ["sleep", "120"]
                    timeout: 2s
            """
        )
    )
    compile_project(project / "floe.yaml", steps={"dbt": floe_dbt_step})
    recon = build_reconstructable_job(
        "workflow_jobs",
        "workflow_job",
        (str(project / ".floe" / "compiled_artifacts.json"), "boxed"),
        reconstructor_working_directory=str(WORKFLOW_JOBS),
    )
    home = tmp_path / "home"
    home.mkdir()
    with (
        DagsterInstance.local_temp(str(home)) as instance,
        execute_job(
            recon, instance=instance, raise_on_error=False, tags={"floe/date": "2024-05-01"}
        ) as result,
    ):
        run_id, events = result.run_id, list(result.all_events)
        status = result.dagster_run.status
    assert status == DagsterRunStatus.FAILURE
    failure = next(e for e in events if e.event_type == DagsterEventType.STEP_FAILURE)
    assert "job sleeper timed out after 2 s" in failure.event_specific_data.error.message
    client = docker.DockerClient(base_url=runtime.docker_host)
    try:
        left = client.containers.list(all=True, filters={"label": f"floe.run_id={run_id}"})
    finally:
        client.close()
    assert left == []


def _one_job_project(root: Path, image: str, runtime: ContainerRuntime, command: str, pull: str) -> Path:
    (root / "workflows" / "single").mkdir(parents=True)
    (root / "floe.yaml").write_text(
        "name: single\nversion: '1.0'\ncompute:\n  default: dev\n  targets:\n"
        "    dev: {type: duckdb, properties: {path: s.duckdb}}\n"
        "workflows:\n  path: workflows\n  runtime:\n    type: docker\n"
        f'    docker: {{docker_host: "{runtime.docker_host}", pull: {pull}}}\n'
    )
    (root / "workflows" / "single" / "workflow.yaml").write_text(
        f"workflow:\n  name: single\n  jobs:\n    - job:\n        name: only\n        image: {image}\n"
        f"        command: {command}\n"
    )
    from floe_core.compiler import compile_project
    from floe_dbt.compile_step import run as floe_dbt_step

    compile_project(root / "floe.yaml", steps={"dbt": floe_dbt_step})
    return root / ".floe" / "compiled_artifacts.json"


def test_a_step_makes_only_the_api_calls_it_needs(
    tmp_path: Path, busybox_image: str, runtime: ContainerRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One client per step, its API version from /_ping (podman's GET /version costs ~0.5 s), no stop of
    an exited container, no list by label: create, start, logs, wait, remove (bench/notes.md)."""
    from docker.api.client import APIClient
    from floe_dagster import FloeDefinitions

    artifacts = _one_job_project(tmp_path / "project", busybox_image, runtime, '["true"]', "never")
    calls: list[tuple[str, str]] = []
    clients: list[object] = []
    request, init = APIClient.request, APIClient.__init__

    def recording_request(self: APIClient, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        calls.append((method, url.split("?", maxsplit=1)[0]))
        return request(self, method, url, *args, **kwargs)

    def recording_init(self: APIClient, *args: Any, **kwargs: Any) -> None:
        clients.append(self)
        init(self, *args, **kwargs)

    monkeypatch.setattr(APIClient, "request", recording_request)
    monkeypatch.setattr(APIClient, "__init__", recording_init)
    job = FloeDefinitions.from_compiled_artifacts(artifacts).resolve_job_def("single")
    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    failures = [e.message for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    assert result.success, (failures, calls)
    assert len(clients) == 1
    paths = [path for _, path in calls]
    assert not [p for p in paths if p.endswith("/version")]
    assert [p for p in paths if p.endswith("/_ping")] == [paths[0]]
    verbs = [(m, p.rsplit("/", 1)[-1]) for m, p in calls if "/containers/" in p]
    assert ("POST", "create") in verbs and ("POST", "start") in verbs and ("POST", "wait") in verbs
    assert not [v for v in verbs if v[1] in {"stop", "kill"}]  # it had exited: nothing to stop
    assert not [p for p in paths if p.endswith("/containers/json")]  # no list of containers
    assert [m for m, _ in calls].count("DELETE") == 1


def test_pull_never_fails_on_a_missing_image_without_pulling(
    tmp_path: Path, runtime: ContainerRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from docker.models.images import ImageCollection
    from floe_dagster import FloeDefinitions

    artifacts = _one_job_project(tmp_path / "project", "floe-test/absent:0", runtime, '["true"]', "never")
    pulls: list[str] = []
    monkeypatch.setattr(ImageCollection, "pull", lambda self, name, *a, **k: pulls.append(name))
    job = FloeDefinitions.from_compiled_artifacts(artifacts).resolve_job_def("single")
    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE)
    message = failure.event_specific_data.error.message
    assert "job only failed" in message and "floe-test/absent" in message, message
    assert pulls == []
