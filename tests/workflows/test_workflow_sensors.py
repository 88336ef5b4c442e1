"""Workflows started by sensors: one run per arriving file (contract §7.1: file_arrival on a local folder,
s3_file_arrival on a moto S3 server) and a dependent workflow's window once its upstream's window succeeded
(§8.2) — subprocess runtime, real runs on a temporary Dagster instance."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dagster import (
    DagsterInstance,
    DagsterRunStatus,
    Definitions,
    build_reconstructable_job,
    build_sensor_context,
    execute_job,
)

HERE = Path(__file__).parent
PY = sys.executable
pytestmark = pytest.mark.slow

FLOE_YAML = """\
name: wfsensors
version: "1.0"
compute:
  default: dev
  targets:
    dev: {type: duckdb, properties: {path: wf.duckdb}}
workflows:
  path: workflows
  runtime: {type: subprocess}
"""


def _job(out: Path, name: str, *behaviour: str, params: str = "{}") -> str:
    return textwrap.dedent(
        f"""\
        name: {name}
        image: floe-test/python:3.11
        command: [{json.dumps(PY)}, {json.dumps(str(HERE / "record_job.py"))}]
        args: {json.dumps([str(out), name, *behaviour])}
        params: {params}
        """
    )


def _workflow(name: str, head: str, job: str) -> str:
    return (
        f"workflow:\n  name: {name}\n{head}  jobs:\n    - job:\n"
        + textwrap.indent(job, "        ")
        + ("      depends_on: []\n")
    )


DAILY = '  schedule: {cron: "0 2 * * *", timezone: UTC, start_date: "2024-01-01"}\n'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    out = tmp_path / "out"
    (root / "inbox").mkdir(parents=True)
    flows = {
        "ingest": _workflow(
            "ingest",
            '  schedule: {trigger: file_arrival, source: inbox, pattern: "*.csv", poll_interval: 1s}\n',
            _job(out, "load_file", params='{file: "{{ trigger_file }}"}'),
        ),
        "s3_ingest": _workflow(
            "s3_ingest",
            '  schedule: {trigger: s3_file_arrival, source: "s3://lakehouse-dev-raw/sales/", pattern: "*.csv"}\n',
            _job(out, "load_object", params='{file: "{{ trigger_file }}"}'),
        ),
        "upstream_pipeline": _workflow("upstream_pipeline", DAILY, _job(out, "produce", "fail-until:2")),
        "downstream_pipeline": _workflow(
            "downstream_pipeline",
            DAILY + "  dependencies:\n    - workflow: upstream_pipeline\n      wait_for_completion: true\n",
            _job(out, "consume", params='{day: "{{ ds }}"}'),
        ),
    }
    (root / "floe.yaml").write_text(FLOE_YAML)
    for name, text in flows.items():
        (root / "workflows" / name).mkdir(parents=True)
        (root / "workflows" / name / "workflow.yaml").write_text(text)
    return root


def _definitions(project: Path) -> Definitions:
    from floe_core.compiler import compile_project
    from floe_dagster import FloeDefinitions
    from floe_dbt.compile_step import run as floe_dbt_step

    compile_project(project / "floe.yaml", steps={"dbt": floe_dbt_step})
    return FloeDefinitions.from_compiled_artifacts(project / ".floe" / "compiled_artifacts.json")


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[DagsterInstance]:
    (tmp_path / "dagster_home").mkdir()
    with DagsterInstance.local_temp(str(tmp_path / "dagster_home")) as inst:
        yield inst


def _execute(project: Path, job: str, instance: DagsterInstance, tags: dict[str, str]) -> Any:
    artifacts = str(project / ".floe" / "compiled_artifacts.json")
    recon = build_reconstructable_job(
        "workflow_jobs", "workflow_job", (artifacts, job), reconstructor_working_directory=str(HERE)
    )
    run_config = {"execution": {"config": {"in_process": {}}}}
    with execute_job(
        recon, instance=instance, raise_on_error=False, tags=tags, run_config=run_config
    ) as result:
        return result.dagster_run


def _ran(project: Path) -> list[dict[str, Any]]:
    path = project.parent / "out" / "ran.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _tick(defs: Definitions, name: str, instance: DagsterInstance, cursor: str | None) -> Any:
    sensor = defs.resolve_sensor_def(name)
    return sensor.evaluate_tick(build_sensor_context(instance=instance, cursor=cursor, definitions=defs))


def test_a_run_per_new_file_with_the_file_as_trigger_file(project: Path, instance: DagsterInstance) -> None:
    defs = _definitions(project)
    inbox = project / "inbox"
    first = _tick(defs, "ingest_file_arrival", instance, None)
    assert first.run_requests == []
    (inbox / "a.csv").write_text("1")
    (inbox / "b.csv").write_text("2")
    (inbox / "ignored.txt").write_text("not matching the pattern")
    second = _tick(defs, "ingest_file_arrival", instance, first.cursor)
    files = sorted(r.tags["floe/trigger_file"] for r in second.run_requests)
    assert files == [str(inbox / "a.csv"), str(inbox / "b.csv")]
    assert len({r.run_key for r in second.run_requests}) == 2
    assert _tick(defs, "ingest_file_arrival", instance, second.cursor).run_requests == []  # nothing new
    stat = (inbox / "a.csv").stat()
    os.utime(inbox / "a.csv", ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))  # rewritten later
    third = _tick(defs, "ingest_file_arrival", instance, second.cursor)
    assert [r.tags["floe/trigger_file"] for r in third.run_requests] == [str(inbox / "a.csv")]
    assert third.run_requests[0].run_key not in {r.run_key for r in second.run_requests}

    request = third.run_requests[0]
    run = _execute(project, "ingest", instance, dict(request.tags))
    assert run.status == DagsterRunStatus.SUCCESS
    assert _ran(project)[-1]["env"]["FILE"] == str(inbox / "a.csv")


def test_the_dependent_workflow_runs_a_date_once_its_upstream_succeeded(
    project: Path, instance: DagsterInstance
) -> None:
    defs = _definitions(project)
    schedules = {s.name for s in defs.schedules or []}
    assert "upstream_pipeline_schedule" in schedules and "downstream_pipeline_schedule" not in schedules
    day = {"dagster/partition": "2024-03-05"}
    assert _tick(defs, "downstream_pipeline_dependencies", instance, None).run_requests == []
    failed = _execute(project, "upstream_pipeline", instance, day)  # fail-until:2: the first run fails
    assert failed.status == DagsterRunStatus.FAILURE
    assert _tick(defs, "downstream_pipeline_dependencies", instance, None).run_requests == []
    ok = _execute(project, "upstream_pipeline", instance, day)
    assert ok.status == DagsterRunStatus.SUCCESS
    requests = _tick(defs, "downstream_pipeline_dependencies", instance, None).run_requests
    assert [r.partition_key for r in requests] == ["2024-03-05"]
    down = _execute(
        project, "downstream_pipeline", instance, {"dagster/partition": requests[0].partition_key}
    )
    assert down.status == DagsterRunStatus.SUCCESS
    assert _ran(project)[-1]["job"] == "consume" and _ran(project)[-1]["env"]["DAY"] == "2024-03-05"


def test_s3_file_arrival_lists_the_bucket_prefix_through_aws_endpoint_url(
    project: Path, instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        for name, value in {
            "AWS_ENDPOINT_URL": f"http://{host}:{port}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            monkeypatch.setenv(name, value)
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="lakehouse-dev-raw")
        defs = _definitions(project)
        first = _tick(defs, "s3_ingest_file_arrival", instance, None)
        assert first.run_requests == []
        for key in ("sales/2024-12-27.csv", "sales/readme.txt", "other/2024-12-27.csv"):
            s3.put_object(Bucket="lakehouse-dev-raw", Key=key, Body=b"1")
        second = _tick(defs, "s3_ingest_file_arrival", instance, first.cursor)
        assert [r.tags["floe/trigger_file"] for r in second.run_requests] == [
            "s3://lakehouse-dev-raw/sales/2024-12-27.csv"
        ]
        assert _tick(defs, "s3_ingest_file_arrival", instance, second.cursor).run_requests == []
        run = _execute(project, "s3_ingest", instance, dict(second.run_requests[0].tags))
        assert run.status == DagsterRunStatus.SUCCESS
        assert _ran(project)[-1]["env"]["FILE"] == "s3://lakehouse-dev-raw/sales/2024-12-27.csv"
    finally:
        server.stop()
