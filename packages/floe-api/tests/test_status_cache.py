"""Run status answered from the registry once a run is finished, and never a stale status for an unfinished
run; runs launched outside the API adopted in batches (one GraphQL query per batch of run ids).

Dagster is a fake GraphQL endpoint (httpx.MockTransport on the API's real Dagster client) whose runs a test
moves from one status to the next, and which counts the queries it is asked."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from floe_api.app import create_app
from floe_api.orchestrator import OrchestratorUnavailable
from floe_api.registry import Run, Workflow
from floe_api.service import WorkflowService
from floe_api.settings import Settings
from sqlalchemy import func, select

STATUS = "/api/v1/workflows/runs/{}"


@dataclass
class FakeRun:
    run_id: str
    status: str = "STARTED"
    steps: dict[str, str] = field(default_factory=dict)  # step key -> IN_PROGRESS | SUCCESS | FAILURE
    plan: tuple[str, ...] = ("a", "b")
    workflow: str | None = "wf"
    ended: float | None = None  # endTime of a finished run (default: long past the settle window)

    def graphql(self, plan: bool) -> dict[str, Any]:
        tags = [{"key": "floe/workflow", "value": self.workflow}] if self.workflow else []
        body: dict[str, Any] = {
            "__typename": "Run",
            "runId": self.run_id,
            "jobName": self.workflow or "other_job",
            "status": self.status,
            "startTime": 1_700_000_000.0,
            "endTime": (self.ended or 1_700_000_060.0)
            if self.status in ("SUCCESS", "FAILURE", "CANCELED")
            else None,
            "tags": tags,
            "stepStats": [{"stepKey": k, "status": v, "startTime": 1.0} for k, v in self.steps.items()],
        }
        if plan:
            body["executionPlan"] = {"steps": [{"key": k} for k in self.plan]}
        return body


class FakeDagster:
    def __init__(self) -> None:
        self.runs: dict[str, FakeRun] = {}
        self.asked: Counter[str] = Counter()  # kind of query -> how many times
        self.on_launch: Callable[[str], None] = lambda _run_id: None
        self.down_at: int | None = None  # the n-th batch query (1-based) answers 503

    def add(self, run: FakeRun) -> FakeRun:
        self.runs[run.run_id] = run
        return run

    def handle(self, request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.content)
        query: str = payload["query"]
        variables: dict[str, Any] = payload.get("variables") or {}
        if "repositoriesOrError" in query:
            job = {
                "name": "wf",
                "isJob": True,
                "tags": [],
                "partitionKeysOrError": {"__typename": "PartitionKeys"},
            }
            repo = {"name": "r", "location": {"name": "l"}, "jobs": [job], "schedules": [], "sensors": []}
            connection = {"__typename": "RepositoryConnection", "nodes": [repo]}
            return httpx.Response(200, json={"data": {"repositoriesOrError": connection}})
        if "launchRun" in query:
            tags = {t["key"]: t["value"] for t in variables["p"]["executionMetadata"]["tags"]}
            run = self.add(
                FakeRun(f"launched{len(self.runs)}", status="QUEUED", workflow=tags["floe/workflow"])
            )
            self.on_launch(run.run_id)
            launched = {"__typename": "LaunchRunSuccess", "run": {"runId": run.run_id, "status": "QUEUED"}}
            return httpx.Response(200, json={"data": {"launchRun": launched}})
        if "runOrError(" in query:
            self.asked["run"] += 1
            run = self.runs.get(variables["id"])
            found = (
                run.graphql(plan="executionPlan" in query)
                if run
                else {"__typename": "RunNotFoundError", "message": "no run"}
            )
            return httpx.Response(200, json={"data": {"runOrError": found}})
        if "runIds" in query:
            self.asked["runs_by_id"] += 1
            if self.asked["runs_by_id"] == self.down_at:
                return httpx.Response(503, text="down")
            wanted = [r for r in self.runs.values() if r.run_id in variables["ids"]]
            results = [r.graphql(plan=False) for r in wanted]
        elif "cursor" in query:
            self.asked["run_page"] += 1
            newest_first = list(reversed(self.runs.values()))
            ids = [r.run_id for r in newest_first]
            start = ids.index(variables["cursor"]) + 1 if variables.get("cursor") else 0
            results = [
                {"runId": r.run_id, "tags": r.graphql(plan=False)["tags"]}
                for r in newest_first[start : start + variables["n"]]
            ]
        elif "pipelineName" in query:
            self.asked["job_runs"] += 1
            job = variables["job"]
            results = [{"runId": r.run_id} for r in reversed(self.runs.values()) if r.workflow == job][
                : variables["n"]
            ]
        else:
            raise AssertionError(f"unexpected query: {query}")
        return httpx.Response(200, json={"data": {"runsOrError": {"__typename": "Runs", "results": results}}})


@pytest.fixture
def dagster() -> FakeDagster:
    return FakeDagster()


def _app(db_url: str, tmp_path: Path, dagster: FakeDagster) -> TestClient:
    settings = Settings(
        database_url=db_url,
        dagster_url="http://dagster.test",
        store=tmp_path / "store",
        run_sync_interval=0,  # the tests call sync_runs themselves
    )
    app = create_app(settings)
    app.state.service.dagster._client = httpx.Client(transport=httpx.MockTransport(dagster.handle))
    return TestClient(app)


@pytest.fixture
def client(db_url: str, tmp_path: Path, dagster: FakeDagster) -> Iterator[TestClient]:
    with _app(db_url, tmp_path, dagster) as test_client:
        yield test_client


def service(client: TestClient) -> WorkflowService:
    found: WorkflowService = client.app.state.service  # type: ignore[attr-defined]
    return found


def viewer(client: TestClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {service(client).registry.create_token('v@example.com', 'viewer')}"}


def test_a_run_that_moves_from_running_to_success_shows_success_on_the_next_status(
    client: TestClient, dagster: FakeDagster
) -> None:
    run = dagster.add(FakeRun("r1", status="STARTED", steps={"a": "SUCCESS", "b": "IN_PROGRESS"}))
    headers = viewer(client)
    first = client.get(STATUS.format("r1"), headers=headers).json()
    assert first["status"] == "RUNNING"
    assert first["progress"] == {
        "total_tasks": 2,
        "completed_tasks": 1,
        "failed_tasks": 0,
        "current_task": "b",
    }

    run.status, run.steps["b"] = "SUCCESS", "SUCCESS"
    second = client.get(STATUS.format("r1"), headers=headers).json()
    assert second["status"] == "SUCCESS"
    assert second["progress"] == {
        "total_tasks": 2,
        "completed_tasks": 2,
        "failed_tasks": 0,
        "current_task": None,
    }
    assert second["dataset_name"] == "wf" and second["duration_seconds"] == 60


def test_every_unfinished_status_is_asked_of_dagster(client: TestClient, dagster: FakeDagster) -> None:
    run = dagster.add(FakeRun("r1", status="QUEUED"))
    headers = viewer(client)
    seen = []
    for dagster_status in ("QUEUED", "STARTED", "STARTED", "CANCELING", "CANCELED"):
        run.status = dagster_status
        seen.append(client.get(STATUS.format("r1"), headers=headers).json()["status"])
    assert seen == ["PENDING", "RUNNING", "RUNNING", "STOPPING", "STOPPED"]


def test_a_run_launched_through_the_api_then_finished_is_answered_from_the_registry(
    db_url: str, tmp_path: Path, client: TestClient, dagster: FakeDagster
) -> None:
    """The registry holds the run as the API launched it (PENDING); Dagster has finished it since."""
    with service(client).registry.session() as session:
        session.add(
            Run(run_id="r1", workflow_name="wf", status="PENDING", triggered_by="dev", run_type="manual")
        )
    dagster.add(FakeRun("r1", status="FAILURE", steps={"a": "SUCCESS", "b": "FAILURE"}))
    headers = viewer(client)
    first = client.get(STATUS.format("r1"), headers=headers).json()
    assert first["status"] == "FAILED" and first["triggered_by"] == "dev"
    asked = sum(dagster.asked.values())
    assert asked == 1

    again = client.get(STATUS.format("r1"), headers=headers).json()
    assert again == first
    assert sum(dagster.asked.values()) == asked  # final: Dagster is not asked again

    # and after a restart of the API (the progress is in the registry, not in the process)
    with _app(db_url, tmp_path, dagster) as restarted:
        assert restarted.get(STATUS.format("r1"), headers=viewer(restarted)).json() == first
    assert sum(dagster.asked.values()) == asked


def test_the_first_status_of_a_run_that_just_finished_outside_the_api_is_one_query(
    client: TestClient, dagster: FakeDagster
) -> None:
    """Adopting the run read it from Dagster: not asked again in the same call (ended within the settle
    window); the next status, still within the window, is asked of Dagster again."""
    dagster.add(FakeRun("j1", status="SUCCESS", steps={"a": "SUCCESS", "b": "SUCCESS"}, ended=time.time()))
    headers = viewer(client)
    first = client.get(STATUS.format("j1"), headers=headers).json()
    assert first["status"] == "SUCCESS" and first["progress"]["completed_tasks"] == 2
    assert sum(dagster.asked.values()) == 1
    assert client.get(STATUS.format("j1"), headers=headers).json() == first
    assert sum(dagster.asked.values()) == 2  # settling: asked again


def test_the_sync_adopts_runs_in_batches_and_status_then_asks_dagster_nothing(
    client: TestClient, dagster: FakeDagster
) -> None:
    for i in range(250):
        dagster.add(FakeRun(f"w{i:03}", status="SUCCESS", steps={"a": "SUCCESS", "b": "SUCCESS"}))
        if i % 10 == 0:
            dagster.add(FakeRun(f"x{i:03}", status="SUCCESS", workflow=None))  # not a workflow's run
    assert service(client).sync_runs(page=100, batch=50) == 250
    assert dagster.asked["run"] == 0
    # 275 runs, 100 ids a page: each page's 91, 91 and 68 workflow runs fetched 50 per query
    assert dagster.asked == Counter({"run_page": 3, "runs_by_id": 6})
    asked = sum(dagster.asked.values())

    headers = viewer(client)
    for run_id in ("w000", "w123", "w249"):
        body = client.get(STATUS.format(run_id), headers=headers).json()
        assert body["status"] == "SUCCESS" and body["progress"]["completed_tasks"] == 2
    assert client.get(STATUS.format("x010"), headers=headers).status_code == 404  # asked: not a workflow's
    assert sum(dagster.asked.values()) == asked + 1

    # nothing new: one page of ids, no batch
    before = dagster.asked["runs_by_id"]
    assert service(client).sync_runs(page=100, batch=50) == 0
    assert dagster.asked["runs_by_id"] == before


def test_a_run_the_sync_adopted_unfinished_shows_its_new_status(
    client: TestClient, dagster: FakeDagster
) -> None:
    run = dagster.add(FakeRun("r1", status="STARTED", steps={"a": "IN_PROGRESS"}))
    assert service(client).sync_runs() == 1
    with service(client).registry.session() as session:
        stored = session.get(Run, "r1")
        assert stored is not None and stored.status == "RUNNING" and stored.final_progress is None

    run.status, run.steps = "SUCCESS", {"a": "SUCCESS", "b": "SUCCESS"}
    body = client.get(STATUS.format("r1"), headers=viewer(client)).json()
    assert body["status"] == "SUCCESS"
    assert body["progress"] == {
        "total_tasks": 2,
        "completed_tasks": 2,
        "failed_tasks": 0,
        "current_task": None,
    }


def test_history_adopts_the_unknown_runs_of_a_workflow_in_one_batch(
    client: TestClient, dagster: FakeDagster
) -> None:
    for i in range(30):
        dagster.add(FakeRun(f"w{i:02}", status="SUCCESS", steps={"a": "SUCCESS"}))
    with service(client).registry.session() as session:
        session.add(
            Run(run_id="w05", workflow_name="wf", status="SUCCESS", triggered_by="dev", run_type="manual")
        )
    response = client.get("/api/v1/workflows/history?dataset_name=wf&limit=50", headers=viewer(client))
    assert {r["run_id"] for r in response.json()} == {f"w{i:02}" for i in range(30)}
    assert dagster.asked == Counter({"job_runs": 1, "runs_by_id": 1})


def test_a_run_the_sync_adopts_while_the_api_launches_it_keeps_the_api_record(
    client: TestClient, dagster: FakeDagster
) -> None:
    with service(client).registry.session() as session:
        session.add(Workflow(name="wf", source_type="MANUAL", owner="o@x", job_name="wf"))
    adopted: list[int] = []
    dagster.on_launch = lambda _run_id: adopted.append(
        service(client).sync_runs()
    )  # between launch and record
    dev = {"Authorization": f"Bearer {service(client).registry.create_token('dev@example.com', 'developer')}"}
    response = client.post("/api/v1/workflows/wf/run", headers=dev, json={"params": {"region": "eu"}})
    assert response.status_code == 202 and adopted == [1]
    body = client.get(STATUS.format(response.json()["run_id"]), headers=dev).json()
    assert (body["status"], body["triggered_by"], body["params"]) == (
        "PENDING",
        "dev@example.com",
        {"region": "eu"},
    )


def test_a_sync_pass_cut_short_by_dagster_goes_on_to_the_older_runs_next_time(
    client: TestClient, dagster: FakeDagster
) -> None:
    for i in range(300):
        dagster.add(FakeRun(f"w{i:03}", status="SUCCESS", steps={"a": "SUCCESS"}))
    dagster.down_at = 3  # the newest page's two batches go through, the next page's first fails
    with pytest.raises(OrchestratorUnavailable):
        service(client).sync_runs(page=100, batch=50)
    assert service(client).sync_runs(page=100, batch=50) == 200  # the newest 100 were known: not a stop
    with service(client).registry.session() as session:
        assert session.scalar(select(func.count()).select_from(Run)) == 300
