"""`floe metrics serve` (contract §10.1): real workflow runs (subprocess runtime) on a Dagster instance, the
endpoint served by the CLI, scraped over HTTP and parsed with prometheus-client's parser."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dagster import (
    DagsterInstance,
    DagsterRunStatus,
    build_reconstructable_job,
    execute_job,
)
from floe_ports import free_port
from prometheus_client.parser import text_string_to_metric_families

HERE = Path(__file__).parent
FLOE = str(Path(sys.executable).with_name("floe"))
PY = sys.executable
pytestmark = pytest.mark.slow

FLOE_YAML = """\
name: wfmetrics
version: "1.0"
compute:
  default: dev
  targets:
    dev: {type: duckdb, properties: {path: wf.duckdb}}
workflows:
  path: workflows
  runtime: {type: subprocess}
"""


def _job(out: Path, name: str, *behaviour: str) -> str:
    argv = [str(out), name, *behaviour]
    return textwrap.dedent(
        f"""\
        name: {name}
        image: floe-test/python:3.11
        command: [{json.dumps(PY)}, {json.dumps(str(HERE / "record_job.py"))}]
        args: {json.dumps(argv)}
        """
    )


def _workflow(name: str, jobs: list[tuple[str, list[str]]], bodies: dict[str, str]) -> str:
    lines = [f"workflow:\n  name: {name}\n  jobs:"]
    for job, deps in jobs:
        lines.append(
            "    - job:\n"
            + textwrap.indent(bodies[job], "        ")
            + f"      depends_on: {json.dumps(deps)}"
        )
    return "\n".join(lines) + "\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    out = tmp_path / "out"
    (root / "workflows").mkdir(parents=True)
    (root / "floe.yaml").write_text(FLOE_YAML)
    flows = {
        "ok_flow": _workflow(
            "ok_flow",
            [("load", []), ("report", ["load"])],
            {"load": _job(out, "load"), "report": _job(out, "report")},
        ),
        "bad_flow": _workflow(
            "bad_flow",
            [("prepare", []), ("boom", ["prepare"])],
            {"prepare": _job(out, "prepare"), "boom": _job(out, "boom", "fail")},
        ),
        # waits until the test writes out/release.here: a job that is running while the test scrapes
        "slow_flow": _workflow(
            "slow_flow", [("waiter", [])], {"waiter": _job(out, "waiter", "meet:release")}
        ),
    }
    for name, text in flows.items():
        (root / "workflows" / name).mkdir()
        (root / "workflows" / name / "workflow.yaml").write_text(text)
    from floe_core.compiler import compile_project
    from floe_dbt.compile_step import run as floe_dbt_step

    compile_project(root / "floe.yaml", steps={"dbt": floe_dbt_step})
    return root


@pytest.fixture
def home(tmp_path: Path) -> Iterator[tuple[Path, DagsterInstance]]:
    folder = tmp_path / "dagster_home"
    folder.mkdir()
    with DagsterInstance.local_temp(str(folder)) as instance:
        yield folder, instance


def _execute(project: Path, job: str, instance: DagsterInstance) -> Any:
    artifacts = str(project / ".floe" / "compiled_artifacts.json")
    recon = build_reconstructable_job(
        "workflow_jobs", "workflow_job", (artifacts, job), reconstructor_working_directory=str(HERE)
    )
    with execute_job(
        recon,
        instance=instance,
        raise_on_error=False,
        run_config={"execution": {"config": {"in_process": {}}}},
        tags={"floe/date": "2024-05-01"},
    ) as result:
        return result.dagster_run


def _job_def(project: Path, name: str) -> Any:
    from floe_dagster import FloeDefinitions

    return FloeDefinitions.from_compiled_artifacts(
        project / ".floe" / "compiled_artifacts.json"
    ).resolve_job_def(name)


@pytest.fixture
def endpoint(home: tuple[Path, DagsterInstance]) -> Iterator[str]:
    """`floe metrics serve` on a free port, against the test's instance ($DAGSTER_HOME)."""
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home[0])}
    proc = subprocess.Popen(
        [FLOE, "metrics", "serve", "--port", str(port), "--addr", "127.0.0.1", "--max-runs", "50"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(url, timeout=5).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    raise AssertionError(
                        f"floe metrics serve did not come up: {proc.communicate()[0]}"
                    ) from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _scrape(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = urllib.request.urlopen(url, timeout=30).read().decode()
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def _value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def test_the_endpoint_reports_executions_durations_failures_active_and_queued_jobs(
    project: Path, home: tuple[Path, DagsterInstance], endpoint: str
) -> None:
    _, instance = home
    runs = [_execute(project, "ok_flow", instance) for _ in range(2)] + [
        _execute(project, "bad_flow", instance)
    ]
    assert [r.status for r in runs] == [DagsterRunStatus.SUCCESS] * 2 + [DagsterRunStatus.FAILURE]
    # a queued run, as the queued run coordinator leaves it until the daemon dequeues it
    from dagster_internals import RegisteredCodeLocationOrigin, RemoteJobOrigin, RemoteRepositoryOrigin
    from floe_dagster.orchestration.jobs import WORKFLOW_SOURCE_TAG, WORKFLOW_TAG

    origin = RemoteJobOrigin(
        RemoteRepositoryOrigin(RegisteredCodeLocationOrigin("wfmetrics"), "repo"), "ok_flow"
    )
    tags = {WORKFLOW_TAG: "ok_flow", WORKFLOW_SOURCE_TAG: "code"}
    job = _job_def(project, "ok_flow")
    instance.create_run_for_job(job, status=DagsterRunStatus.QUEUED, tags=tags, remote_job_origin=origin)

    samples = _scrape(endpoint)
    executions = "workflow_job_executions_total"
    assert _value(samples, executions, job="load", status="success") == 2
    assert _value(samples, executions, job="report", status="success") == 2
    assert _value(samples, executions, job="prepare", status="success") == 1
    assert _value(samples, executions, job="boom", status="failure") == 1
    assert _value(samples, executions, job="boom", status="success") == 0
    duration = "workflow_job_duration_seconds"
    assert _value(samples, duration + "_count", job="load") == 2
    quantiles = [_value(samples, duration, job="load", quantile=q) for q in ("0.5", "0.95", "0.99")]
    assert 0 < quantiles[0] <= quantiles[1] <= quantiles[2] <= _value(samples, duration + "_sum", job="load")
    assert _value(samples, "workflow_jobs_failed_total", workflow="bad_flow") == 1
    assert _value(samples, "workflow_jobs_failed_total", workflow="ok_flow") == 0
    assert _value(samples, "workflow_queue_length", workflow="ok_flow") == 1
    assert _value(samples, "workflow_jobs_active", workflow="ok_flow") == 0

    # a job running now is active while it runs, and no longer once it finished
    holder: list[Any] = []
    thread = threading.Thread(target=lambda: holder.append(_execute(project, "slow_flow", instance)))
    thread.start()
    try:
        deadline = time.monotonic() + 120
        while _scrape(endpoint).get(("workflow_jobs_active", frozenset({("workflow", "slow_flow")}))) != 1:
            assert time.monotonic() < deadline, "the running job never showed as active"
            time.sleep(0.3)
    finally:
        (project.parent / "out" / "release.here").write_text("1")
        thread.join(timeout=120)
    assert holder and holder[0].status == DagsterRunStatus.SUCCESS
    samples = _scrape(endpoint)
    assert _value(samples, "workflow_jobs_active", workflow="slow_flow") == 0
    assert _value(samples, executions, job="waiter", status="success") == 1


def test_each_scrape_reads_at_most_max_runs(project: Path, home: tuple[Path, DagsterInstance]) -> None:
    from floe_dagster.workflows.metrics import WorkflowMetricsCollector
    from prometheus_client import CollectorRegistry, generate_latest

    _, instance = home
    for _ in range(3):
        _execute(project, "ok_flow", instance)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(WorkflowMetricsCollector(instance, max_runs=2))
    families = {f.name: f for f in text_string_to_metric_families(generate_latest(registry).decode())}
    counts = {
        s.labels["job"]: s.value
        for s in families["workflow_job_executions"].samples
        if s.labels["status"] == "success"
    }
    assert counts == {"load": 2, "report": 2}  # the 2 most recent runs, not the 3
