"""Issue 16.10's proof as a user meets it: the demo under a real `dagster dev` (webserver + daemon, the
instance settings `make demo` writes), and at the same time the UI's "Materialize all" (a run of every
unpartitioned asset, and a backfill of the daily-partitioned ones — what the UI launches for a mixed
selection), a sensor-triggered run (a file dropped into the watched folder) and whatever the automation
sensor launches in reaction. Every run must succeed: before floe put DuckDB writers in one pool, runs
writing the demo's DuckDB file at the same time failed with "Could not set lock on file".
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from floe_core.scaffold import dagster_yaml_text
from floe_projects import DEMO, compile_project, copy_project

pytestmark = [pytest.mark.slow]

BIN = Path(sys.executable).parent
UNPARTITIONED = [
    "raw_customers",
    "raw_orders",
    "raw_products",
    "raw_order_items",
    "stg_customers",
    "stg_orders",
    "stg_products",
    "stg_order_items",
    "customer_orders",
    "revenue_by_product",
]
DAILY = ["raw_daily_orders", "fct_daily_orders"]
BACKFILL_DAYS = [f"2024-01-{d:02d}" for d in range(1, 15)]
TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _graphql(url: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"{url}/graphql", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        payload: dict[str, Any] = json.loads(response.read())
    assert "errors" not in payload, payload
    return payload["data"]  # type: ignore[no-any-return]


@pytest.fixture
def dagster_dev(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    project = copy_project(DEMO, tmp_path / "demo")
    env = {**os.environ, "FLOE_DUCKDB_PATH": ".floe/demo.duckdb", "FLOE_SCHEDULES_ON": "false"}
    compile_project(project, env={"FLOE_DUCKDB_PATH": ".floe/demo.duckdb", "FLOE_SCHEDULES_ON": "false"})
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(dagster_yaml_text() + "telemetry:\n  enabled: false\n")
    port = _free_port()
    log = (tmp_path / "dagster_dev.log").open("w")
    proc = subprocess.Popen(
        [
            str(BIN / "dagster"),
            "dev",
            "-f",
            "orchestration/definitions.py",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        cwd=project,
        env={**env, "DAGSTER_HOME": str(home)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # dagster dev starts the webserver and the daemon: stop the whole group
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "dagster_dev.log").read_text()
            try:
                urllib.request.urlopen(f"{url}/server_info", timeout=5).close()
                break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail("dagster dev did not come up:\n" + (tmp_path / "dagster_dev.log").read_text())
        yield url, project
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def _runs(url: str) -> list[dict[str, Any]]:
    query = "{ runsOrError(limit: 200) { ... on Runs { results { runId status tags { key value } } } } }"
    results: list[dict[str, Any]] = _graphql(url, query)["runsOrError"]["results"]
    return results


def test_materialize_all_with_a_backfill_and_a_sensor_run_all_succeed(dagster_dev: tuple[str, Path]) -> None:
    url, project = dagster_dev
    (repo,) = _graphql(
        url, "{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }"
    )["repositoriesOrError"]["nodes"]
    selector = {"repositoryLocationName": repo["location"]["name"], "repositoryName": repo["name"]}

    launched = _graphql(
        url,
        """mutation($p: ExecutionParams!) { launchRun(executionParams: $p) {
             __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }""",
        {
            "p": {
                "selector": {
                    **selector,
                    "jobName": "__ASSET_JOB",
                    "assetSelection": [{"path": [k]} for k in UNPARTITIONED],
                }
            }
        },
    )["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    backfill = _graphql(
        url,
        """mutation($b: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $b) {
             __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }""",
        {"b": {"assetSelection": [{"path": [k]} for k in DAILY], "partitionNames": BACKFILL_DAYS}},
    )["launchPartitionBackfill"]
    assert backfill["__typename"] == "LaunchBackfillSuccess", backfill
    (project / "landing" / "orders_2024-01-02.csv").write_text("id,amount\n1,10\n", encoding="utf-8")

    backfill_status = "REQUESTED"
    runs: list[dict[str, Any]] = []
    deadline = time.monotonic() + 1200  # a hang guard, not a timing assertion
    while time.monotonic() < deadline:
        time.sleep(5)
        backfill_status = _graphql(
            url,
            "query($id: String!) { partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill { status } } }",
            {"id": backfill["backfillId"]},
        )["partitionBackfillOrError"]["status"]
        runs = _runs(url)
        from_sensor = [r for r in runs if {"key": "dagster/sensor_name", "value": "landing"} in r["tags"]]
        settled = backfill_status not in ("REQUESTED", "CANCELING") and from_sensor
        if settled and all(r["status"] in TERMINAL for r in runs):
            break
    else:
        pytest.fail(
            f"runs did not finish: backfill {backfill_status}, runs {[(r['runId'], r['status']) for r in runs]}"
        )

    assert backfill_status in ("COMPLETED", "COMPLETED_SUCCESS"), backfill_status
    tags = [{t["key"]: t["value"] for t in r["tags"]} for r in runs]
    assert any("dagster/backfill" in t for t in tags)
    assert any(t.get("dagster/sensor_name") == "landing" for t in tags)
    failed = [
        (r["runId"], r["status"], t) for r, t in zip(runs, tags, strict=True) if r["status"] != "SUCCESS"
    ]
    assert not failed, f"{len(failed)} of {len(runs)} runs did not succeed: {failed}"
