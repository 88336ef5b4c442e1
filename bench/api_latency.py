"""The workflow API's latency (issue 18): `status` and `list` p50/p99 with `n_runs` runs in the Dagster
instance, and the time from `run` to the run STARTED in Dagster, under a real `dagster dev` (webserver +
daemon) and the API served by uvicorn, as a user deploys them.

The instance's runs are written with Dagster's public `DagsterInstance.add_run` (finished runs of the
project's job, tagged like workflow runs): launching 1000 real runs would take the bench's whole budget and
measure Dagster, not the API.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

BIN = Path(sys.executable).parent
API = "/api/v1/workflows"

FLOE_YAML = """\
name: api_bench
version: "1.0"
compute:
  default: dev
  targets:
    dev: {type: duckdb, properties: {path: warehouse.duckdb}}
orchestration:
  asset_modules: [assets.py]
  jobs:
    report_job: {type: batch, selection: "group:quick"}
"""
ASSETS = """
from dagster import asset


@asset(group_name="quick")
def quick() -> int:
    return 1
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def _add_runs(home: Path, n_runs: int) -> list[str]:
    """Finished workflow runs as a schedule's or sensor's leave them: a run record and an event log with its
    start and success (so their start/end times are in the run record). A bare run record without an event
    log (what this lane wrote before) made Dagster's first read of each run create its per-run SQLite event
    log (~90 ms in-process, ~400 ms under dagster dev): a cost real runs never have, which was most of the
    cold status and of the sync's adoption time."""
    from dagster import DagsterEvent, DagsterEventType, DagsterInstance, DagsterRun, DagsterRunStatus

    ids = [str(uuid.uuid4()) for _ in range(n_runs)]
    with DagsterInstance.from_config(str(home)) as instance:
        for run_id in ids:
            instance.add_run(
                DagsterRun(
                    job_name="report_job",
                    run_id=run_id,
                    status=DagsterRunStatus.NOT_STARTED,
                    tags={"floe/workflow": "report_job", "floe/workflow_source": "code"},
                )
            )
            for event in (DagsterEventType.RUN_START, DagsterEventType.RUN_SUCCESS):
                instance.report_dagster_event(DagsterEvent(event.value, "report_job"), run_id=run_id)
    return ids


def _wait_http(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"dagster dev exited:\n{log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return
        except OSError:
            time.sleep(1)
    raise SystemExit(f"{url} did not answer:\n{log.read_text()[-3000:]}")


def bench_api(work: Path, n_runs: int, calls: int, launches: int, cold: int = 100) -> dict[str, object]:
    import uvicorn
    from floe_api.app import create_app
    from floe_api.settings import Settings

    root = work / f"api_{n_runs}"
    env = {**os.environ, "OPENLINEAGE_DISABLED": "true", "OTEL_SDK_DISABLED": "true"}
    home, run_ids = _project(root, n_runs, env)

    port = _free_port()
    log = root / "dagster_dev.log"
    with log.open("wb") as out:
        dev = subprocess.Popen(
            [str(BIN / "dagster"), "dev", "-f", "definitions.py", "-h", "127.0.0.1", "-p", str(port)],
            cwd=root,
            env={**env, "DAGSTER_HOME": str(home)},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server: uvicorn.Server | None = None
    try:
        _wait_http(f"http://127.0.0.1:{port}/server_info", dev, log)
        settings = Settings(
            database_url=f"sqlite:///{root / 'api.db'}",
            dagster_url=f"http://127.0.0.1:{port}",
            store=root / ".floe" / "workflows",
            dagster_timeout=30,
            run_sync_interval=0,  # the bench runs the sync itself, between the cold and the steady samples
        )
        app = create_app(settings)
        api_port = _free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=api_port, log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.1)
        token = app.state.service.registry.create_token("bench@example.com", "admin")
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{api_port}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        _wait_for_job(client)

        def timed(method: str, path: str, **kwargs: Any) -> tuple[float, httpx.Response]:
            started = time.perf_counter()
            response = client.request(method, path, **kwargs)
            return (time.perf_counter() - started) * 1000, response

        cold_ms, adopted, sync_s, status_ms = _status_samples(timed, app, run_ids, calls, cold)
        list_ms = []
        for _ in range(calls // 5):
            ms, response = timed("GET", API)
            response.raise_for_status()
            list_ms.append(ms)
        to_started = []
        for _ in range(launches):
            sent = time.time()
            response = client.post(f"{API}/report_job/run", json={"params": {}})
            response.raise_for_status()
            to_started.append(_started_after(port, response.json()["run_id"]) - sent)
    finally:
        if server is not None:
            server.should_exit = True
        os.killpg(dev.pid, signal.SIGTERM)
        try:
            dev.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(dev.pid, signal.SIGKILL)

    p99_status = _percentile(status_ms, 0.99)
    return {
        "name": f"api_latency_{n_runs}_runs",
        "target": "status p99 < 100 ms with 1000 runs in the instance (steady); cold, list, run -> STARTED shown",
        "summary": (
            f"status p50 {statistics.median(status_ms):.1f} ms, p99 {p99_status:.1f} ms, max {max(status_ms):.1f} ms"
            f" ({len(status_ms)} calls, {sum(ms >= 100 for ms in status_ms)} of them >= 100 ms);"
            f" cold first status (adopts the run: 1 query) p50 {statistics.median(cold_ms):.1f} ms,"
            f" p99 {_percentile(cold_ms, 0.99):.1f} ms ({len(cold_ms)} runs);"
            f" sync adopted {adopted} runs in {sync_s:.1f} s;"
            f" list p50 {statistics.median(list_ms):.1f} ms, p99 {_percentile(list_ms, 0.99):.1f} ms;"
            f" run -> STARTED median {statistics.median(to_started):.2f} s, max {max(to_started):.2f} s"
            f" ({len(to_started)} runs)"
        ),
        "status_p50_ms": round(statistics.median(status_ms), 2),
        "status_p99_ms": round(p99_status, 2),
        "status_max_ms": round(max(status_ms), 2),
        "status_calls_over_100ms": sum(ms >= 100 for ms in status_ms),
        "cold_status_p50_ms": round(statistics.median(cold_ms), 2),
        "cold_status_p99_ms": round(_percentile(cold_ms, 0.99), 2),
        "sync_adopted": adopted,
        "sync_s": round(sync_s, 2),
        "list_p50_ms": round(statistics.median(list_ms), 2),
        "list_p99_ms": round(_percentile(list_ms, 0.99), 2),
        "run_to_started_median_s": round(statistics.median(to_started), 2),
        "run_to_started_max_s": round(max(to_started), 2),
        "met": p99_status < 100,
    }


def _status_samples(
    timed: Callable[..., tuple[float, httpx.Response]], app: Any, run_ids: list[str], calls: int, cold: int
) -> tuple[list[float], int, float, list[float]]:
    """Cold first statuses, the run sync's adoption of the rest (timed), then the steady sample."""
    from floe_api.orchestrator import OrchestratorUnavailable

    # The runs were written into Dagster, not launched through the API: the registry knows none of them.
    # cold: the first status of such a run adopts it itself (one GraphQL query: Dagster's per-request cost)
    rng = random.Random(7)
    cold_ms = []
    for run_id in rng.sample(run_ids, min(cold, len(run_ids))):
        ms, response = timed("GET", f"{API}/runs/{run_id}")
        response.raise_for_status()
        cold_ms.append(ms)
    # the API's run sync (floe_api.sync, every 15 s in `floe api serve`) adopts the rest in batches
    started = time.perf_counter()
    adopted = 0
    for _ in range(5):  # a batch query may time out on a loaded machine: the next pass skips what is adopted
        try:
            adopted += app.state.service.sync_runs()
            break
        except OrchestratorUnavailable as exc:
            print(f"   run sync: {exc}; again", flush=True)
    sync_s = time.perf_counter() - started
    # steady: status of any of the 1000 runs, as a user meets it once the sync has seen them (a finished
    # run from the registry; an unfinished one is always asked of Dagster)
    status_ms = []
    for _ in range(calls):
        ms, response = timed("GET", f"{API}/runs/{rng.choice(run_ids)}")
        response.raise_for_status()
        status_ms.append(ms)
    return cold_ms, adopted, sync_s, status_ms


def _project(root: Path, n_runs: int, env: dict[str, str]) -> tuple[Path, list[str]]:
    """The compiled project, its Dagster home and the ids of the runs written into it."""
    import shutil

    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    (root / "floe.yaml").write_text(FLOE_YAML, encoding="utf-8")
    (root / "assets.py").write_text(ASSETS, encoding="utf-8")
    (root / "definitions.py").write_text(
        "from floe_dagster import FloeDefinitions\n\ndefs = FloeDefinitions.from_compiled_artifacts()\n"
    )
    subprocess.run([str(BIN / "floe"), "compile"], cwd=root, env=env, check=True, capture_output=True)
    home = root / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return home, _add_runs(home, n_runs)


def _wait_for_job(client: httpx.Client) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        response = client.get(API)
        if response.status_code == 200 and any(w["dataset_name"] == "report_job" for w in response.json()):
            return
        time.sleep(1)
    raise SystemExit(f"the API never listed report_job: {response.status_code} {response.text[:500]}")


def _started_after(port: int, run_id: str) -> float:
    """Dagster's own start time of the run (epoch seconds), waiting until it has one."""
    query = "query($id: ID!) { runOrError(runId: $id) { ... on Run { startTime status } } }"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        response = httpx.post(
            f"http://127.0.0.1:{port}/graphql", json={"query": query, "variables": {"id": run_id}}, timeout=30
        )
        run = response.json()["data"]["runOrError"]
        if run.get("startTime"):
            return float(run["startTime"])
        time.sleep(0.05)
    raise SystemExit(f"run {run_id} never started")
