"""A job's `timeout` (contract §3.1) enforced by the subprocess runtime: the attempt is stopped — the process
and what it started — and the failure says it timed out."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    build_reconstructable_job,
    execute_job,
)

HERE = Path(__file__).parent
PY = sys.executable
pytestmark = pytest.mark.slow

FLOE_YAML = """\
name: wftimeout
version: "1.0"
compute:
  default: dev
  targets:
    dev: {type: duckdb, properties: {path: wf.duckdb}}
workflows:
  path: workflows
  runtime: {type: subprocess}
"""

# writes its pid and its child's pid, then sleeps far longer than the timeout
SLEEPER = (
    "import os, subprocess, sys, time, pathlib;"
    " child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']);"
    " pathlib.Path(sys.argv[1]).write_text(f'{os.getpid()} {child.pid}');"
    " time.sleep(120)"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "workflows" / "sleepy").mkdir(parents=True)
    (root / "floe.yaml").write_text(FLOE_YAML)
    workflow = f"""\
    workflow:
      name: sleepy
      jobs:
        - job:
            name: sleeper
            image: floe-test/python:3.11
            command: [{json.dumps(PY)}, "-c", {json.dumps(SLEEPER)}]
            args: [{json.dumps(str(tmp_path / "pids"))}]
            timeout: 2s
          depends_on: []
    """
    (root / "workflows" / "sleepy" / "workflow.yaml").write_text(textwrap.dedent(workflow))
    from floe_core.compiler import compile_project
    from floe_dbt.compile_step import run as floe_dbt_step

    compile_project(root / "floe.yaml", steps={"dbt": floe_dbt_step})
    return root


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[DagsterInstance]:
    (tmp_path / "dagster_home").mkdir()
    with DagsterInstance.local_temp(str(tmp_path / "dagster_home")) as inst:
        yield inst


def _gone(pid: int) -> bool:
    """No such process, or a zombie (killed, waiting for its parent to reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def test_a_job_over_its_timeout_is_stopped_and_fails_saying_so(
    project: Path, instance: DagsterInstance
) -> None:
    artifacts = str(project / ".floe" / "compiled_artifacts.json")
    recon = build_reconstructable_job(
        "workflow_jobs", "workflow_job", (artifacts, "sleepy"), reconstructor_working_directory=str(HERE)
    )
    with execute_job(
        recon, instance=instance, raise_on_error=False, tags={"floe/date": "2024-05-01"}
    ) as result:
        run, events = result.dagster_run, list(result.all_events)
    assert run.status == DagsterRunStatus.FAILURE
    failure = next(e for e in events if e.event_type == DagsterEventType.STEP_FAILURE)
    assert "job sleeper timed out after 2 s" in failure.event_specific_data.error.message
    pids = [int(p) for p in (project.parent / "pids").read_text().split()]
    try:
        # the process and its child are stopped (bounded wait: init reaps the orphaned child asynchronously)
        for _ in range(100):
            if all(_gone(pid) for pid in pids):
                break
            time.sleep(0.1)
        assert [pid for pid in pids if not _gone(pid)] == [], "the timed-out job's processes still run"
    finally:
        for pid in pids:  # leave nothing behind, whatever the outcome
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 9)
