"""End to end: a real dagster-webserver serves the compiled demo; GraphQL lists the assets and a launched
run (multiprocess executor, separate run process) succeeds; headless Chromium shows the asset graph."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from floe_ports import free_port
from floe_projects import DEMO, compile_project, copy_project
from floe_testkit import require

pytestmark = [pytest.mark.slow]

BIN = Path(sys.executable).parent
DBT_MODELS = [
    "stg_customers",
    "stg_orders",
    "stg_products",
    "stg_order_items",
    "customer_orders",
    "revenue_by_product",
]
BRONZE = ["raw_customers", "raw_orders", "raw_products", "raw_order_items"]
DAILY = ["raw_daily_orders", "fct_daily_orders"]  # daily-partitioned: run per partition (tests/orchestration)


def _graphql(url: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"{url}/graphql", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        payload: dict[str, Any] = json.loads(response.read())
    assert "errors" not in payload, payload
    return payload["data"]  # type: ignore[no-any-return]


def _repositories(url: str) -> list[dict[str, Any]]:
    query = "{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }"
    nodes: list[dict[str, Any]] = _graphql(url, query)["repositoriesOrError"]["nodes"]
    return nodes


@pytest.fixture(scope="module")
def webserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("e2e")
    project = copy_project(DEMO, root / "demo")
    compile_project(project, env={"FLOE_DUCKDB_PATH": ".floe/demo.duckdb"})
    home = root / "dagster_home"
    home.mkdir()
    # Launch runs right away (no daemon here) and keep the test offline.
    (home / "dagster.yaml").write_text(
        "run_coordinator:\n  module: dagster.core.run_coordinator\n  class: DefaultRunCoordinator\n"
        "telemetry:\n  enabled: false\n"
    )
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "FLOE_DUCKDB_PATH": ".floe/demo.duckdb"}
    log = (root / "webserver.log").open("w")
    proc = subprocess.Popen(
        [
            str(BIN / "dagster-webserver"),
            "-f",
            "orchestration/definitions.py",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        cwd=project,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert proc.poll() is None, (root / "webserver.log").read_text()
            try:
                urllib.request.urlopen(f"{url}/server_info", timeout=5).close()
                break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail("dagster-webserver did not come up:\n" + (root / "webserver.log").read_text())
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_graphql_lists_assets_and_a_launched_run_succeeds(webserver: str) -> None:
    nodes = _graphql(webserver, "{ assetNodes { assetKey { path } } }")["assetNodes"]
    assert {"/".join(n["assetKey"]["path"]) for n in nodes} == set(DBT_MODELS) | set(BRONZE) | set(DAILY)
    repos = _repositories(webserver)
    launched = _graphql(
        webserver,
        """mutation($p: ExecutionParams!) { launchRun(executionParams: $p) {
             __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }""",
        {
            "p": {
                "selector": {
                    "repositoryLocationName": repos[0]["location"]["name"],
                    "repositoryName": repos[0]["name"],
                    "jobName": "__ASSET_JOB",
                    "assetSelection": [{"path": [key]} for key in BRONZE + DBT_MODELS],
                }
            }
        },
    )["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    status = "STARTING"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and status not in {"SUCCESS", "FAILURE", "CANCELED"}:
        time.sleep(3)
        status = _graphql(
            webserver, "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }", {"id": run_id}
        )["runOrError"]["status"]
    assert status == "SUCCESS"
    materialized = _graphql(
        webserver,
        "{ assetNodes { assetKey { path } assetMaterializations(limit: 1) { runId } } }",
    )["assetNodes"]
    assert all(
        n["assetMaterializations"] and n["assetMaterializations"][0]["runId"] == run_id
        for n in materialized
        if n["assetKey"]["path"][0] not in DAILY
    )


@pytest.mark.browser
def test_browser_shows_the_dbt_models_in_the_asset_graph(webserver: str) -> None:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    require(Path(chromium).exists(), "Debian chromium at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    location = _repositories(webserver)[0]["location"]["name"]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            args=["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1200})
            for group, models in (("silver", DBT_MODELS[:4]), ("gold", DBT_MODELS[4:])):
                page.goto(f"{webserver}/locations/{location}/asset-groups/{group}", timeout=120_000)
                for model in models:
                    page.get_by_text(model, exact=True).first.wait_for(timeout=120_000)
        finally:
            browser.close()
