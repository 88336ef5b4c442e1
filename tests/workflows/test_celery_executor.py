"""Workflows on Celery (floe.yaml `workflows.executor.type: celery`, dagster-celery's celery_executor): two
real Celery workers (`celery -A dagster_celery.app worker`, what `dagster-celery worker start` runs) take the
steps of a diamond workflow from the local Redis (127.0.0.1:6379) and run them; the subprocess runtime's
processes report which worker ran them, and the two parallel branches only finish if they run at the same
time, in the two workers (tests/workflows/celery_job.py). Under CI=true a missing Redis fails."""

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
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

import pytest
from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    build_reconstructable_job,
    execute_job,
)
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
            f"""\
            name: celerydemo
            version: "1.0"
            compute:
              default: dev
              targets:
                dev: {{type: duckdb, properties: {{path: c.duckdb}}}}
            workflows:
              path: workflows
              runtime: {{type: subprocess}}
              executor:
                type: celery
                celery:
                  broker: redis://{REDIS[0]}:{REDIS[1]}/0
                  backend: redis://{REDIS[0]}:{REDIS[1]}/1
                  # this test's own keys in the shared Redis: no other worker takes its steps
                  config_source: {{broker_transport_options: {{global_keyprefix: "{prefix}"}}}}
            """
        )
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
    config_dir = tmp_path / "celery_config"
    config_dir.mkdir()
    (config_dir / "dagster_celery_config.py").write_text(
        f"broker_url = 'redis://{REDIS[0]}:{REDIS[1]}/0'\n"
        f"result_backend = 'redis://{REDIS[0]}:{REDIS[1]}/1'\n"
        f"broker_transport_options = {{'global_keyprefix': {prefix!r}}}\n"
    )
    home = tmp_path / "home"
    home.mkdir()
    recon = build_reconstructable_job(
        "workflow_jobs",
        "workflow_job",
        (str(project / ".floe" / "compiled_artifacts.json"), "fanout"),
        reconstructor_working_directory=str(HERE),
    )
    with ExitStack() as workers:
        for name in WORKERS:
            workers.enter_context(_worker(name, config_dir, home, tmp_path / f"{name}.log"))
        with (
            DagsterInstance.local_temp(str(home)) as instance,
            execute_job(recon, instance=instance, raise_on_error=False) as result,
        ):
            status = result.dagster_run.status
            events = list(result.all_events)

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
    ran_in: dict[str, str] = {}
    for event in events:
        if event.event_type == DagsterEventType.ENGINE_EVENT and "in celery worker" in (event.message or ""):
            assert event.step_key is not None
            ran_in[event.step_key] = str(event.event_specific_data.metadata["Celery worker"].value)
    assert sorted(ran_in) == ["extract", "left", "publish", "right"]
    for step, hostname in ran_in.items():
        assert hostname.split("@")[0] == records[step]["worker"], (step, hostname)
