"""Seed 003's example configuration, unchanged, end to end under a real `dagster dev` (webserver + daemon)
with moto in server mode as AWS and the workflow API + CLI: `transform_images` succeeds → moto's Glue has
the `load_images_to_redshift` run with the automatic arguments; a quality failure → PENDING_APPROVAL →
`floe workflow approve` → the on_approval Glue run with `--approval_required true`; `load_promos` → the
EventBridge event (forwarded by a rule to a queue)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from trigger_support import GLUE_JOB, Aws

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "orchestration"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
from dev_server import DevServer, dagster_dev
from floe_api.settings import Settings
from floe_api_server import served_api
from orch_support import compile_project, write_project
from test_workflow_api_e2e import Api, poll

pytestmark = pytest.mark.slow
EXAMPLE = Path(__file__).with_name("seed_003_example.json")
ASSETS = """
import os
from pathlib import Path

from dagster import AssetCheckResult, MaterializeResult, asset, asset_check


@asset(group_name="images")
def images() -> MaterializeResult:
    return MaterializeResult(
        metadata={"output_path": "s3://bucket/images/", "records_read": 100, "records_written": 98}
    )


@asset_check(asset=images, blocking=False)
def no_blank_images() -> AssetCheckResult:
    flag = Path(os.environ["FLOE_TEST_QUALITY_FILE"])
    return AssetCheckResult(passed=not (flag.exists() and flag.read_text().strip() == "fail"))


@asset(group_name="promos")
def promos() -> MaterializeResult:
    return MaterializeResult(metadata={"records_written": 5})
"""
ORCHESTRATION = """
jobs:
  transform_images: {type: batch, groups: [images]}
  load_promos: {type: batch, groups: [promos]}
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, aws: Aws) -> Iterator[tuple[DevServer, Api, Path]]:
    root = tmp_path_factory.mktemp("triggers_e2e")
    project = root / "project"
    write_project(project, ORCHESTRATION, ASSETS)
    with (project / "floe.yaml").open("a", encoding="utf-8") as spec:
        spec.write("triggers: {path: workflow_config.json}\n")
    (project / "workflow_config.json").write_text(EXAMPLE.read_text())  # the document's, unchanged
    compile_project(project)
    (project / "definitions.py").write_text(
        "from floe_dagster import FloeDefinitions\n\ndefs = FloeDefinitions.from_compiled_artifacts()\n"
    )
    quality = root / "quality"
    env = {**aws.env, "FLOE_TEST_QUALITY_FILE": str(quality)}
    with dagster_dev(project, "definitions.py", root / "dagster_home", env) as dev:
        dev.wait_for("the jobs", lambda: _loaded(dev), 300)
        settings = Settings(
            database_url=f"sqlite:///{root / 'api.db'}",
            dagster_url=f"http://127.0.0.1:{dev.port}",
            store=project / ".floe" / "workflows",
        )
        with served_api(settings) as (url, app):
            token = app.state.service.registry.create_token("jclark@example.com", "developer")
            yield dev, Api(url, token, project), quality


def _loaded(dev: DevServer) -> bool | None:
    query = "{ repositoriesOrError { ... on RepositoryConnection { nodes { jobs { name } } } } }"
    nodes = dev.graphql(query)["repositoriesOrError"].get("nodes") or []
    names = {j["name"] for n in nodes for j in n["jobs"]}
    return True if {"transform_images", "floe_approval_decision"} <= names else None


def glue_runs_of(aws: Aws, run_id: str) -> list[dict[str, Any]]:
    return [r for r in aws.glue_runs(GLUE_JOB) if r["Arguments"].get("--triggered_by_run_id") == run_id]


def finished(api: Api, run_id: str) -> dict[str, Any] | None:
    status = api.json("status", run_id)
    return status if status["status"] not in ("PENDING", "RUNNING") else None


def test_the_documents_example_end_to_end(stack: tuple[DevServer, Api, Path], aws: Aws) -> None:
    dev, api, quality = stack
    quality.write_text("pass")
    first = api.json("run", "transform_images")["run_id"]
    poll("the run", lambda: finished(api, first), 300)
    (glue_run,) = poll("the on_success Glue run", lambda: glue_runs_of(aws, first) or None, 120)
    assert glue_run["Arguments"] == {
        "--triggered_by_job": "transform_images",
        "--triggered_by_run_id": first,
        "--source_artifacts": json.dumps({"output_path": "s3://bucket/images/"}),
    }
    assert api.json("status", first)["status"] == "SUCCESS"

    quality.write_text("fail")
    second = api.json("run", "transform_images")["run_id"]
    held = poll("PENDING_APPROVAL", lambda: _status_is(api, second, "PENDING_APPROVAL"), 300)
    assert held["status"] == "PENDING_APPROVAL"
    assert glue_runs_of(aws, second) == []  # on_success did not fire
    early = api.cli("approve", first, "--reason", "not waiting")
    assert early.returncode != 0 and "is not waiting for approval" in early.stderr

    decision = api.json("approve", second, "--reason", "blank images expected during the migration")
    assert decision["decision"] == "APPROVED" and decision["decided_by"] == "jclark@example.com"
    (approved,) = poll("the on_approval Glue run", lambda: glue_runs_of(aws, second) or None, 120)
    assert approved["Arguments"] == {
        "--approval_required": "true",
        "--triggered_by_job": "transform_images",
        "--triggered_by_run_id": second,
        "--source_artifacts": json.dumps({"output_path": "s3://bucket/images/"}),
    }
    assert api.json("status", second)["status"] == "SUCCESS"  # approved: its outcome accepted
    tags = _tags(dev, second)
    assert tags["floe/approval_by"] == "jclark@example.com"
    assert tags["floe/approval_reason"] == "blank images expected during the migration"

    promos = api.json("run", "load_promos")["run_id"]
    event = poll("the EventBridge event", lambda: _event_for(aws, promos), 180)
    assert event["source"] == "dwh.load_promos" and event["detail-type"] == "PromoLoadComplete"
    assert event["detail"]["triggered_by_job"] == "load_promos"
    assert event["detail"]["source_event"]["metrics"] == {"records_written": 5}


def _status_is(api: Api, run_id: str, status: str) -> dict[str, Any] | None:
    got = api.json("status", run_id)
    return got if got["status"] == status else None


def _tags(dev: DevServer, run_id: str) -> dict[str, str]:
    query = "query($id: ID!) { runOrError(runId: $id) { ... on Run { tags { key value } } } }"
    return {t["key"]: t["value"] for t in dev.graphql(query, {"id": run_id})["runOrError"]["tags"]}


_seen: list[dict[str, Any]] = []


def _event_for(aws: Aws, run_id: str) -> dict[str, Any] | None:
    _seen.extend(aws.messages(aws.bus_queue_url))
    return next((e for e in _seen if e["detail"].get("triggered_by_run_id") == run_id), None)
