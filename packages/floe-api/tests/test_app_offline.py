"""The API with Dagster unreachable: auth, roles, validation errors, and 503 (the API stays up)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from floe_api.app import create_app
from floe_api.registry import AuditEntry, Workflow
from floe_api.settings import Settings
from sqlalchemy import select

GOOD = (
    'workflow:\n  name: wf\n  schedule: {cron: "0 2 * * *", start_date: "2024-01-01"}\n'
    "  jobs: [{job: {name: a, image: lakehouse/a:1}}]\n"
)


@pytest.fixture
def client(db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    # port 9 (discard): nothing listens, connections are refused at once
    settings = Settings(
        database_url=db_url,
        dagster_url="http://127.0.0.1:9",
        store=tmp_path / "store",
        dagster_timeout=1,
        run_sync_interval=0,
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def token(client: TestClient, role: str) -> dict[str, str]:
    value = client.app.state.service.registry.create_token(f"{role}@example.com", role)  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {value}"}


def register_body(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "dataset_name": "wf",
        "schedule": {"cron": "0 2 * * *", "timezone": "UTC"},
        "owner": "data@example.com",
        "yaml_content": GOOD,
    }
    return {**body, **changes}


def test_no_or_unknown_token_is_401(client: TestClient) -> None:
    assert client.get("/api/v1/workflows").status_code == 401
    response = client.get("/api/v1/workflows", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401 and response.json()["code"] == "UNAUTHENTICATED"


def test_viewer_cannot_mutate(client: TestClient) -> None:
    viewer = token(client, "viewer")
    response = client.post("/api/v1/workflows/wf/run", headers=viewer, json={})
    assert response.status_code == 403 and response.json()["code"] == "WORKFLOW_PERMISSION_DENIED"
    assert client.post("/api/v1/workflows/pause-all", headers=token(client, "developer")).status_code == 403


def test_a_viewer_cannot_approve_or_reject_and_a_developer_reaches_dagster(client: TestClient) -> None:
    viewer = token(client, "viewer")
    for verb in ("approve", "reject"):
        response = client.post(f"/api/v1/workflows/runs/r1/{verb}", headers=viewer, json={"reason": "x"})
        assert response.status_code == 403 and response.json()["code"] == "WORKFLOW_PERMISSION_DENIED"
    developer = token(client, "developer")
    response = client.post("/api/v1/workflows/runs/r1/approve", headers=developer, json={"reason": "ok"})
    assert response.status_code == 503  # allowed: the decision needs Dagster, which is down here


def test_list_answers_from_the_registry_while_dagster_is_down(client: TestClient) -> None:
    with client.app.state.service.registry.session() as session:  # type: ignore[attr-defined]
        session.add(Workflow(name="wf", source_type="MANUAL", owner="o@x", job_name="wf", cron="0 2 * * *"))
    response = client.get("/api/v1/workflows", headers=token(client, "viewer"))
    assert response.status_code == 200
    [item] = response.json()
    assert (item["dataset_name"], item["source_type"], item["status"]) == ("wf", "MANUAL", "active")
    assert client.get("/api/v1/workflows?source_type=CODE", headers=token(client, "viewer")).json() == []


def test_unknown_workflow_and_run(client: TestClient) -> None:
    dev = token(client, "developer")
    response = client.post("/api/v1/workflows/nope/run", headers=dev, json={})
    assert response.status_code == 404 and response.json()["code"] == "WORKFLOW_NOT_FOUND"
    assert client.delete("/api/v1/workflows/nope", headers=dev).json()["code"] == "WORKFLOW_NOT_FOUND"


def test_run_with_dagster_down_is_503(client: TestClient) -> None:
    with client.app.state.service.registry.session() as session:  # type: ignore[attr-defined]
        session.add(Workflow(name="wf", source_type="MANUAL", owner="o@x", job_name="wf"))
    dev = token(client, "developer")
    for _ in range(5):  # the circuit breaker opens after 3 failures: still 503, at once
        response = client.post("/api/v1/workflows/wf/run", headers=dev, json={})
        assert response.status_code == 503 and response.json()["code"] == "ORCHESTRATOR_UNAVAILABLE"
    assert client.app.state.service.dagster.breaker.state == "open"  # type: ignore[attr-defined]
    response = client.get("/api/v1/workflows/runs/abc", headers=dev)
    assert response.status_code == 503


def test_register_rejects_bad_cron_and_invalid_yaml_with_every_problem(client: TestClient) -> None:
    dev = token(client, "developer")
    response = client.post(
        "/api/v1/workflows/register", headers=dev, json=register_body(schedule={"cron": "0 2 * *"})
    )
    assert response.status_code == 400 and response.json()["code"] == "INVALID_CRON_EXPRESSION"
    bad = GOOD.replace("0 2 * * *", "0 2 * *").replace("lakehouse/a:1", "")
    response = client.post("/api/v1/workflows/register", headers=dev, json=register_body(yaml_content=bad))
    body = response.json()
    assert response.status_code == 400 and body["code"] == "INVALID_WORKFLOW_SPEC"
    assert len(body["problems"]) == 2 and all(p.startswith("wf.yaml:") for p in body["problems"])
    other = GOOD.replace("name: wf", "name: other")
    response = client.post("/api/v1/workflows/register", headers=dev, json=register_body(yaml_content=other))
    assert response.status_code == 400 and "expected dataset_name 'wf'" in response.json()["message"]
    with client.app.state.service.registry.session() as session:  # type: ignore[attr-defined]
        assert session.scalars(select(Workflow)).all() == []
        assert [a.action for a in session.scalars(select(AuditEntry))] == ["create_token"]


def test_a_dry_run_prints_the_rendered_plan_without_dagster(client: TestClient) -> None:
    """`run --dry-run` of a MANUAL workflow: the version's plan for the date, rendered by floe-core."""
    from floe_api.registry import WorkflowVersion
    from floe_core.workflows import load_workflow_text
    from floe_core.workflows.cli import parse_when
    from floe_core.workflows.plan import render_plan

    text = GOOD.replace("image: lakehouse/a:1", 'image: lakehouse/a:1, command: [echo, "{{ ds }}"]')
    with client.app.state.service.registry.session() as session:  # type: ignore[attr-defined]
        session.add(
            Workflow(
                name="wf",
                source_type="MANUAL",
                status="ACTIVE",
                owner="o",
                job_name="wf",
                current_version=1,
                registered_by="o",
                timezone="UTC",
            )
        )
        session.add(WorkflowVersion(workflow_name="wf", version=1, yaml=text, sha256="x", created_by="o"))
    response = client.post(
        "/api/v1/workflows/wf/run",
        headers=token(client, "developer"),
        json={"params": {"date": "2024-03-05"}, "dry_run": True},
    )
    assert response.status_code == 202, response.text
    body = response.json()
    (expected,) = render_plan(load_workflow_text(text, "wf.yaml"), parse_when("2024-03-05"))
    assert body["run_id"] is None and body["dry_run"] is True
    assert body["plan"] == [
        {"job": "a", "image": "lakehouse/a:1", "argv": expected.argv, "env": {}, "depends_on": []}
    ]
    assert expected.argv[0] == "echo" and expected.argv[1].startswith("2024-03-0")
