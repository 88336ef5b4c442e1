"""Workflows on Celery (floe.yaml `workflows.executor.type: celery`, dagster-celery's celery_executor): two
real Celery workers (`celery -A dagster_celery.app worker`, what `dagster-celery worker start` runs) take the
steps of a diamond workflow from the local Redis (127.0.0.1:6379) and run them; the subprocess runtime's
processes report which worker ran them, and the two parallel branches only finish if they run at the same
time, in the two workers (tests/workflows/celery_job.py). The demo (dbt + Python assets on one DuckDB file)
runs on the same two workers through `orchestration.executor`, its DuckDB writers queued by their Dagster
pool. Under CI=true a missing Redis fails."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from dagster import (
    DagsterEvent,
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    EventLogEntry,
    build_reconstructable_job,
    execute_job,
)
from floe_core.scaffold import dagster_yaml_text
from floe_projects import DEMO, copy_project
from floe_projects import compile_project as floe_compile
from floe_testkit import require

HERE = Path(__file__).parent
BIN = Path(sys.executable).parent
REDIS = ("127.0.0.1", 6379)
WORKERS = ("floe-celery-a", "floe-celery-b")

pytestmark = pytest.mark.slow


def _redis_answers() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=2) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def _worker(name: str, config_dir: Path, home: Path, log: Path) -> Iterator[None]:
    """A Celery worker of dagster-celery's app, one task at a time, its settings from config_dir's
    dagster_celery_config.py (as `dagster-celery worker start -y` writes it); stopped (its process group)
    when the block ends."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(config_dir), str(HERE), os.environ.get("PYTHONPATH", "")]),
        "DAGSTER_HOME": str(home),
        "FLOE_TEST_WORKER": name,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    argv = [str(BIN / "celery"), "-A", "dagster_celery.app", "worker", "--pool=prefork", "--concurrency=1"]
    argv += ["--prefetch-multiplier=1", "--without-gossip", "--without-mingle", "--loglevel=INFO"]
    argv += ["-n", f"{name}@%h"]
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while b"ready." not in log.read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"celery worker {name} did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield
    finally:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)  # warm shutdown
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _celery_config(config_dir: Path, prefix: str) -> Path:
    """The workers' settings module (dagster_celery_config.py, as `dagster-celery worker start -y` writes
    it): the local Redis, under this test's own key prefix."""
    config_dir.mkdir()
    (config_dir / "dagster_celery_config.py").write_text(
        f"broker_url = 'redis://{REDIS[0]}:{REDIS[1]}/0'\n"
        f"result_backend = 'redis://{REDIS[0]}:{REDIS[1]}/1'\n"
        f"broker_transport_options = {{'global_keyprefix': {prefix!r}}}\n"
    )
    return config_dir


def _executor_yaml(prefix: str, indent: str) -> str:
    """floe.yaml's executor block (under `workflows:` or `orchestration:`): celery on the local Redis."""
    return textwrap.indent(
        textwrap.dedent(
            f"""\
            executor:
              type: celery
              celery:
                broker: redis://{REDIS[0]}:{REDIS[1]}/0
                backend: redis://{REDIS[0]}:{REDIS[1]}/1
                # this test's own keys in the shared Redis: no other worker takes its steps
                config_source: {{broker_transport_options: {{global_keyprefix: "{prefix}"}}}}
            """
        ),
        indent,
    )


def _ran_in_workers(events: list[Any]) -> dict[str, str]:
    """step key -> the Celery worker (its hostname) that executed it, from dagster-celery's engine events."""
    ran_in: dict[str, str] = {}
    for event in events:
        if event.event_type == DagsterEventType.ENGINE_EVENT and "in celery worker" in (event.message or ""):
            assert event.step_key is not None
            ran_in[event.step_key] = str(event.event_specific_data.metadata["Celery worker"].value)
    return ran_in


@dataclass(frozen=True)
class _Executed:
    status: DagsterRunStatus
    events: list[DagsterEvent]
    logs: Sequence[EventLogEntry]


def _execute_on_two_workers(artifacts: Path, job: str, config_dir: Path, home: Path, logs: Path) -> _Executed:
    """`job` of the compiled project, executed with the two Celery workers running (stopped afterwards)."""
    recon = build_reconstructable_job(
        "workflow_jobs", "workflow_job", (str(artifacts), job), reconstructor_working_directory=str(HERE)
    )
    with ExitStack() as workers:
        for name in WORKERS:
            workers.enter_context(_worker(name, config_dir, home, logs / f"{name}.log"))
        with (
            DagsterInstance.local_temp(str(home)) as instance,
            execute_job(recon, instance=instance, raise_on_error=False) as result,
        ):
            return _Executed(
                result.dagster_run.status, list(result.all_events), instance.all_logs(result.run_id)
            )


def _project(root: Path, out: Path, prefix: str) -> Path:
    job = HERE / "celery_job.py"

    def entry(name: str, deps: list[str], *extra: str) -> str:
        args = json.dumps([str(job), str(out), name, *extra])
        body = f"    - job:\n        name: {name}\n        image: floe-test/python:3.11\n"
        body += f"        command: [{json.dumps(sys.executable)}]\n"
        body += f"        args: {args}\n"
        return body + (f"      depends_on: {json.dumps(deps)}\n" if deps else "")

    (root / "workflows" / "fanout").mkdir(parents=True)
    (root / "floe.yaml").write_text(
        textwrap.dedent(
            """\
            name: celerydemo
            version: "1.0"
            compute:
              default: dev
              targets:
                dev: {type: duckdb, properties: {path: c.duckdb}}
            workflows:
              path: workflows
              runtime: {type: subprocess}
            """
        )
        + _executor_yaml(prefix, "  ")
    )
    jobs = (
        entry("extract", [])
        + entry("left", ["extract"], "--meet", "right")
        + entry("right", ["extract"], "--meet", "left")
        + entry("publish", ["left", "right"])
    )
    (root / "workflows" / "fanout" / "workflow.yaml").write_text(
        f"workflow:\n  name: fanout\n  jobs:\n{jobs}"
    )
    return root


def test_a_workflow_runs_its_steps_on_two_real_celery_workers(tmp_path: Path) -> None:
    require(_redis_answers(), f"Redis at {REDIS[0]}:{REDIS[1]}")
    from floe_core.compiler import compile_project
    from floe_dbt.compile_step import run as floe_dbt_step

    out = tmp_path / "out"
    out.mkdir()
    prefix = f"floe-test-{uuid.uuid4().hex[:12]}:"
    project = _project(tmp_path / "project", out, prefix)
    compile_project(project / "floe.yaml", steps={"dbt": floe_dbt_step})
    config_dir = _celery_config(tmp_path / "celery_config", prefix)
    home = tmp_path / "home"
    home.mkdir()
    run = _execute_on_two_workers(
        project / ".floe" / "compiled_artifacts.json", "fanout", config_dir, home, tmp_path
    )
    status, events = run.status, run.events

    failures = [e.event_specific_data for e in events if e.event_type == DagsterEventType.STEP_FAILURE]
    assert status == DagsterRunStatus.SUCCESS, failures
    records = {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}
    assert sorted(records) == ["extract", "left", "publish", "right"]
    # every job's process is a child of a Celery worker (only the workers' environment has FLOE_TEST_WORKER),
    # never of this test's process, which ran the run and its executor
    assert {r["worker"] for r in records.values()} <= set(WORKERS)
    assert all(r["ppid"] != os.getpid() for r in records.values())
    # the parallel branches met: they ran at once, one in each worker
    assert {records["left"]["worker"], records["right"]["worker"]} == set(WORKERS)
    # and the event log says the same: each step was executed by a named Celery worker
    ran_in = _ran_in_workers(events)
    assert sorted(ran_in) == ["extract", "left", "publish", "right"]
    for step, hostname in ran_in.items():
        assert hostname.split("@")[0] == records[step]["worker"], (step, hostname)


DEMO_JOB = "shop"  # the demo's unpartitioned assets: bronze (Python) -> silver -> gold (dbt)
DEMO_STEPS = {"raw_customers", "raw_orders", "raw_products", "raw_order_items"}  # + the dbt step(s)


def _step_spans(logs: Sequence[EventLogEntry], steps: set[str]) -> dict[str, tuple[float, float]]:
    """step key -> (STEP_START, STEP_SUCCESS) times from the run's event log, for `steps`."""

    def at(kind: DagsterEventType) -> dict[str | None, float]:
        return {e.step_key: e.timestamp for e in logs if e.dagster_event_type == kind}

    starts, ends = at(DagsterEventType.STEP_START), at(DagsterEventType.STEP_SUCCESS)
    return {step: (starts[step], ends[step]) for step in steps if step in starts and step in ends}


def _demo_on_celery(root: Path, prefix: str) -> Path:
    """The demo with `orchestration.executor: celery` and one job over its unpartitioned assets."""
    project = copy_project(DEMO, root)
    floe_yaml = project / "floe.yaml"
    text = floe_yaml.read_text()
    assert text.count("\norchestration:\n") == 1 and text.count("\n  jobs:\n") == 1, text
    job = f'    {DEMO_JOB}: {{type: batch, selection: "group:bronze or group:silver or group:gold"}}\n'
    text = text.replace("\n  jobs:\n", "\n  jobs:\n" + job)
    text = text.replace("\norchestration:\n", "\norchestration:\n" + _executor_yaml(prefix, "  "))
    floe_yaml.write_text(text)
    return project


def test_the_demo_runs_on_two_real_celery_workers(tmp_path: Path) -> None:
    """orchestration.executor: celery for the demo's dbt and Python assets: every step is a Celery task
    taken by one of two workers; the four bronze writers of the one DuckDB file run one at a time through
    their Dagster pool (the instance's `concurrency: pools`, as `floe init` writes it), else DuckDB's
    file lock can fail them; the gold tables hold rows."""
    require(_redis_answers(), f"Redis at {REDIS[0]}:{REDIS[1]}")
    import duckdb

    prefix = f"floe-test-{uuid.uuid4().hex[:12]}:"
    project = _demo_on_celery(tmp_path / "demo", prefix)
    database = project / ".floe" / "demo.duckdb"
    env = {"FLOE_DUCKDB_PATH": str(database), "FLOE_SCHEDULES_ON": "false"}
    artifacts = floe_compile(project, env=env)
    config_dir = _celery_config(tmp_path / "celery_config", prefix)
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text(dagster_yaml_text())
    run = _execute_on_two_workers(artifacts, DEMO_JOB, config_dir, home, tmp_path)
    status, events, logs = run.status, run.events, run.logs

    failures = [e.event_specific_data for e in events if e.event_type == DagsterEventType.STEP_FAILURE]
    assert status == DagsterRunStatus.SUCCESS, failures
    started = {e.step_key for e in events if e.event_type == DagsterEventType.STEP_START}
    assert started > DEMO_STEPS, started  # the bronze assets and at least one dbt step
    # every step of the run was executed by one of the two Celery workers, none in this process
    ran_in = _ran_in_workers(events)
    assert set(ran_in) == started
    assert {hostname.split("@")[0] for hostname in ran_in.values()} <= set(WORKERS)
    # the DuckDB writers, in one pool of limit 1, never ran at the same time although two workers were free
    spans = sorted(_step_spans(logs, DEMO_STEPS).values())
    assert len(spans) == len(DEMO_STEPS)
    assert all(end <= next_start for (_, end), (next_start, _) in pairwise(spans)), spans
    with duckdb.connect(str(database), read_only=True) as conn:
        counts = {
            table: conn.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]  # type: ignore[index]
            for schema, table in conn.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }
    assert counts.get("customer_orders", 0) > 0 and counts.get("revenue_by_product", 0) > 0, counts
