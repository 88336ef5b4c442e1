"""The kubernetes runtime's pod (no cluster here): rendered with dagster-k8s's own builder, then checked
against the Kubernetes API's OpenAPI models (serialized and deserialized into V1Pod by the `kubernetes`
client, which validates required fields and types)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from floe_core.workflows import RuntimeConfig, load_workflow_text, render_plan
from kubernetes.client import ApiClient, V1Pod  # dagster-k8s's dependency (dev deps)

WORKFLOW = """\
workflow:
  name: k8s_flow
  jobs:
    - job:
        name: extract_sales
        image: registry.example/etl:1.4
        command: ["python", "-m", "etl.extract"]
        args: ["--date", "{{ ds }}", "--source", "{{ params.source }}"]
        params: {source: sales_db}
        env:
          LOG_LEVEL: info
          DB_PASSWORD: {k8s_secret: {name: sales-db, key: password}}
          API_TOKEN: {secret_env: FLOE_TEST_API_TOKEN}
        resources: {cpu: 500m, memory: 512Mi}
        timeout: 30m
      depends_on: []
    - job:
        name: report
        image: registry.example/report:2
        args: ["{{ ds }}"]
      depends_on: [extract_sales]
"""
RUNTIME = RuntimeConfig.model_validate(
    {
        "type": "kubernetes",
        "kubernetes": {"namespace": "data", "service_account": "etl", "image_pull_policy": "IfNotPresent"},
    }
)


def _roundtrip(pod: Any) -> V1Pod:
    """The pod as the API server receives it (JSON), read back through the OpenAPI models."""
    api = ApiClient()
    data = api.sanitize_for_serialization(pod)
    restored = api._ApiClient__deserialize(data, "V1Pod")  # type: ignore[attr-defined]
    assert isinstance(restored, V1Pod)
    return restored


def _plan() -> dict[str, Any]:
    workflow = load_workflow_text(WORKFLOW, runtime=RUNTIME)
    return {i.job: i for i in render_plan(workflow, date(2024, 12, 27))}


def test_the_pod_has_the_rendered_command_env_secrets_and_resources() -> None:
    from floe_dagster.workflows.k8s import pod_body, pod_request

    invocation = _plan()["extract_sales"]
    assert RUNTIME.kubernetes is not None
    request = pod_request(invocation, RUNTIME.kubernetes, {"FLOE_TEST_API_TOKEN": "t0ken"}, "run-1")
    pod = _roundtrip(pod_body(request, "floe-extract-sales-1", {"DAGSTER_PIPES_CONTEXT": "ctx"}))
    assert pod.metadata.name == "floe-extract-sales-1"
    assert (
        pod.metadata.labels["floe.run_id"] == "run-1" and pod.metadata.labels["floe.job"] == "extract_sales"
    )
    assert pod.spec.restart_policy == "Never" and pod.spec.service_account_name == "etl"
    (container,) = pod.spec.containers
    assert container.image == "registry.example/etl:1.4" and container.image_pull_policy == "IfNotPresent"
    assert container.command == [
        "python",
        "-m",
        "etl.extract",
        "--date",
        "2024-12-27",
        "--source",
        "sales_db",
    ]
    assert container.args is None
    assert container.resources.requests == {"cpu": "500m", "memory": "512Mi"}
    assert container.resources.limits == {"cpu": "500m", "memory": "512Mi"}
    env = {e.name: e for e in container.env}
    assert env["LOG_LEVEL"].value == "info" and env["SOURCE"].value == "sales_db"
    assert env["API_TOKEN"].value == "t0ken"  # secret_env: read from the run worker's environment
    assert env["DAGSTER_PIPES_CONTEXT"].value == "ctx"
    ref = env["DB_PASSWORD"].value_from.secret_key_ref  # k8s_secret: referenced, never copied
    assert env["DB_PASSWORD"].value is None and (ref.name, ref.key) == ("sales-db", "password")


def test_without_command_the_image_entrypoint_gets_argv_as_args() -> None:
    from floe_dagster.workflows.k8s import pod_body, pod_request

    assert RUNTIME.kubernetes is not None
    request = pod_request(_plan()["report"], RUNTIME.kubernetes, {}, "run-2")
    (container,) = _roundtrip(pod_body(request, "floe-report-2")).spec.containers
    assert container.command is None and container.args == ["2024-12-27"]
    assert container.resources is None


def test_a_missing_secret_env_fails_the_job_naming_the_variable() -> None:
    from dagster import Failure
    from floe_dagster.workflows.k8s import pod_request

    assert RUNTIME.kubernetes is not None
    with pytest.raises(Failure, match=r"API_TOKEN \(from \$FLOE_TEST_API_TOKEN\)"):
        pod_request(_plan()["extract_sales"], RUNTIME.kubernetes, {}, "run-3")
