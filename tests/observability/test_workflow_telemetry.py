"""A container job's attempt gets OpenLineage START/COMPLETE/FAIL events and a span, like a dbt model:
real workflow runs (subprocess runtime) against loopback OpenLineage and OTLP receivers; every event is
valid against ../shared/openlineage-spec."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance, DagsterRunStatus, execute_job

pytestmark = pytest.mark.slow
RECORD_JOB = Path(__file__).resolve().parents[1] / "workflows" / "record_job.py"
WORKFLOW_JOBS = Path(__file__).resolve().parents[1] / "workflows"


def _floe_yaml(receiver_url: str) -> str:
    return textwrap.dedent(
        f"""\
        name: wfobs
        version: "1.0"
        compute:
          default: dev
          targets:
            dev: {{type: duckdb, properties: {{path: wf.duckdb}}}}
        observability:
          lineage: {{url: "{receiver_url}", namespace: wf-lineage}}
          traces: {{endpoint: "{receiver_url}"}}
        workflows:
          path: workflows
          runtime: {{type: subprocess}}
        """
    )


def _job(out: Path, name: str, *behaviour: str) -> str:
    argv = [str(out), name, *behaviour]
    return (
        f"        name: {name}\n        image: floe-test/python:3.11\n"
        f"        command: [{json.dumps(sys.executable)}, {json.dumps(str(RECORD_JOB))}]\n"
        f"        args: {json.dumps(argv)}\n"
    )


def test_container_jobs_emit_lineage_and_spans(tmp_path: Path, receiver: Any, validate_event: Any) -> None:
    from dagster import build_reconstructable_job
    from floe_core.compiler import compile_project
    from floe_dbt.compile_step import run as floe_dbt_step

    root = tmp_path / "project"
    out = tmp_path / "out"
    (root / "workflows" / "telem").mkdir(parents=True)
    (root / "floe.yaml").write_text(_floe_yaml(receiver.url))
    workflow = (
        "workflow:\n  name: telem\n  jobs:\n"
        f"    - job:\n{_job(out, 'ok')}      depends_on: []\n"
        f"    - job:\n{_job(out, 'boom', 'fail')}      depends_on: [ok]\n"
    )
    (root / "workflows" / "telem" / "workflow.yaml").write_text(workflow)
    compile_project(root / "floe.yaml", steps={"dbt": floe_dbt_step})
    (tmp_path / "home").mkdir()
    recon = build_reconstructable_job(
        "workflow_jobs",
        "workflow_job",
        (str(root / ".floe" / "compiled_artifacts.json"), "telem"),
        reconstructor_working_directory=str(WORKFLOW_JOBS),
    )
    with DagsterInstance.local_temp(str(tmp_path / "home")) as instance:
        run_config = {"execution": {"config": {"in_process": {}}}}
        with execute_job(
            recon,
            instance=instance,
            raise_on_error=False,
            run_config=run_config,
            tags={"floe/date": "2024-05-01"},
        ) as result:
            run = result.dagster_run
    assert run.status == DagsterRunStatus.FAILURE

    assert [e["eventType"] for e in receiver.events("telem.ok")] == ["START", "COMPLETE"]
    assert [e["eventType"] for e in receiver.events("telem.boom")] == ["START", "FAIL"]
    assert {e["job"]["namespace"] for e in receiver.lineage} == {"wf-lineage"}
    fail = receiver.events("telem.boom", "FAIL")[0]
    assert "code 3" in fail["run"]["facets"]["errorMessage"]["message"]
    # the Dagster run is the parent of each job's lineage run
    assert fail["run"]["facets"]["parent"]["run"]["runId"] == run.run_id
    assert sum(validate_event(e) for e in receiver.lineage) > 0
    names = sorted(s.name for s in receiver.spans)
    assert "materialize telem.ok" in names and "materialize telem.boom" in names
    boom = next(s for s in receiver.spans if s.name == "materialize telem.boom")
    assert boom.status.code == 2  # STATUS_CODE_ERROR
