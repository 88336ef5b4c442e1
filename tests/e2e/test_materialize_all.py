"""Issue 16.10's proof as a user meets it: the demo under a real `dagster dev` (webserver + daemon, the
instance settings `make demo` writes), and at the same time the UI's "Materialize all" (a run of every
unpartitioned asset, and a backfill of the daily-partitioned ones — what the UI launches for a mixed
selection), a sensor-triggered run (a file dropped into the watched folder) and whatever the automation
sensor launches in reaction. Every run must succeed: before floe put DuckDB writers in one pool, runs
writing the demo's DuckDB file at the same time failed with "Could not set lock on file".
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from floe_core.scaffold import dagster_yaml_text
from floe_projects import DEMO, compile_project, copy_project

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "orchestration"))
from dev_server import DevServer, dagster_dev

pytestmark = [pytest.mark.slow]

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
ENV = {"FLOE_DUCKDB_PATH": ".floe/demo.duckdb", "FLOE_SCHEDULES_ON": "false"}


@pytest.fixture
def dagster(tmp_path: Path) -> Iterator[tuple[DevServer, Path]]:
    """The demo as `make demo` serves it: its dagster.yaml (one writer per DuckDB file) under dagster dev."""
    project = copy_project(DEMO, tmp_path / "demo")
    compile_project(project, env=ENV)
    with dagster_dev(
        project, "orchestration/definitions.py", tmp_path / "dagster_home", ENV, dagster_yaml_text()
    ) as dev:
        dev.wait_for(
            "the code location", lambda: _graphql(dev, REPOS)["repositoriesOrError"]["nodes"] or None, 300
        )
        yield dev, project


REPOS = "{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }"


def _graphql(dev: DevServer, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = dev.graphql(query, variables)
    return data


def _runs(dev: DevServer) -> list[dict[str, Any]]:
    query = "{ runsOrError(limit: 200) { ... on Runs { results { runId status tags { key value } } } } }"
    results: list[dict[str, Any]] = _graphql(dev, query)["runsOrError"]["results"]
    return results


def test_materialize_all_with_a_backfill_and_a_sensor_run_all_succeed(
    dagster: tuple[DevServer, Path],
) -> None:
    dev, project = dagster
    (repo,) = _graphql(dev, REPOS)["repositoriesOrError"]["nodes"]
    selector = {"repositoryLocationName": repo["location"]["name"], "repositoryName": repo["name"]}

    launched = _graphql(
        dev,
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
        dev,
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
            dev,
            "query($id: String!) { partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill { status } } }",
            {"id": backfill["backfillId"]},
        )["partitionBackfillOrError"]["status"]
        runs = _runs(dev)
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
