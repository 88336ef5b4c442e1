"""Fixtures for the downstream-trigger tests: moto in server mode (Glue, Step Functions, EventBridge, SQS),
a loopback webhook receiver, a Dagster instance, and helpers that run an upstream job and evaluate a
sensor on its finished run the way the daemon does."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "support"))
sys.path.insert(0, str(Path(__file__).parent))

from floe_moto import aws_env, moto_server

GLUE_JOB = "load_images_to_redshift"


@dataclass
class Aws:
    url: str
    env: dict[str, str]
    queue_url: str  # the sqs_mwaa queue
    bus_queue_url: str  # receives what an EventBridge rule forwards
    state_machine: str

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, endpoint_url=self.url, region_name="us-east-1")

    def glue_runs(self, job: str = GLUE_JOB) -> list[dict[str, Any]]:
        return list(self.client("glue").get_job_runs(JobName=job)["JobRuns"])

    def messages(self, queue_url: str) -> list[dict[str, Any]]:
        sqs, out = self.client("sqs"), []
        while True:
            got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            batch = got.get("Messages", [])
            if not batch:
                return out
            for m in batch:
                out.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])


@pytest.fixture(scope="session")
def aws() -> Iterator[Aws]:
    with moto_server() as url:
        env = aws_env(url)
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            yield _provision(url, env)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def _provision(url: str, env: dict[str, str]) -> Aws:
    import boto3

    def client(service: str) -> Any:
        return boto3.client(service, endpoint_url=url, region_name="us-east-1")

    command = {"Name": "glueetl", "ScriptLocation": "s3://code/load.py"}
    client("glue").create_job(Name=GLUE_JOB, Role="arn:aws:iam::123456789012:role/glue", Command=command)
    sqs = client("sqs")
    queue = sqs.create_queue(QueueName="mwaa-triggers")["QueueUrl"]
    bus_queue = sqs.create_queue(QueueName="promo-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=bus_queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = client("events")
    events.put_rule(Name="promos", EventPattern=json.dumps({"source": ["dwh.load_promos"]}))
    events.put_targets(Rule="promos", Targets=[{"Id": "queue", "Arn": arn}])
    definition = {"StartAt": "Pass", "States": {"Pass": {"Type": "Pass", "End": True}}}
    machine = client("stepfunctions").create_state_machine(
        name="load_images", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/sfn"
    )["stateMachineArn"]
    return Aws(url, env, queue, bus_queue, machine)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    status: int = 200
    hold: threading.Event | None = None  # when set: requests wait for it before answering
    arrived: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.received.append(Received(self.path, dict(self.headers.items()), body))
            state.arrived.set()
            if state.hold is not None:
                state.hold.wait(120)
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    if state.hold is not None:
        state.hold.set()
    server.shutdown()
