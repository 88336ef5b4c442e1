"""The MANUAL workflow store on S3-compatible object storage (`FLOE_WORKFLOW_STORE=s3://bucket/prefix`), against
moto in server mode: what the API writes is what a code location reads, and deletes are seen."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from floe_core.errors import FloeError
from floe_core.workflows.manual_store import (
    delete_manual_workflow,
    load_manual_workflows,
    manual_path,
    save_manual_workflow,
    store_dir,
)
from floe_moto import aws_env, moto_server

WORKFLOW = 'workflow:\n  name: {name}\n  jobs: [{{job: {{name: a, image: x/a:1, command: ["true"]}}}}]\n'


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with moto_server() as url:
        for key, value in aws_env(url).items():
            monkeypatch.setenv(key, value)
        boto3.client("s3").create_bucket(Bucket="lake")
        monkeypatch.setenv("FLOE_WORKFLOW_STORE", "s3://lake/floe/workflows/")
        yield str(store_dir("/nowhere"))


def test_save_load_delete_through_s3(store: str) -> None:
    assert store == "s3://lake/floe/workflows"
    assert load_manual_workflows(store) == []
    where = save_manual_workflow(store, "orders", WORKFLOW.format(name="orders"))
    save_manual_workflow(store, "billing", WORKFLOW.format(name="billing"))
    assert where == manual_path(store, "orders") == "s3://lake/floe/workflows/orders.yaml"

    body = boto3.client("s3").get_object(Bucket="lake", Key="floe/workflows/orders.yaml")["Body"].read()
    assert body.decode() == WORKFLOW.format(name="orders")
    assert [w.name for w in load_manual_workflows(store)] == ["billing", "orders"]

    assert delete_manual_workflow(store, "orders") is True
    assert delete_manual_workflow(store, "orders") is False
    assert [w.name for w in load_manual_workflows(store)] == ["billing"]


def test_a_misnamed_object_is_an_error_naming_its_url(store: str) -> None:
    boto3.client("s3").put_object(Bucket="lake", Key="floe/workflows/x.yaml", Body=WORKFLOW.format(name="y"))
    with pytest.raises(
        FloeError, match=r"s3://lake/floe/workflows/x.yaml: workflow.name is 'y', expected 'x'"
    ):
        load_manual_workflows(store)
