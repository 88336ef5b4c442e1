"""What the downstream-trigger tests share besides their fixtures (tests/triggers/conftest.py): the moto-backed
AWS stand-in's handles and the loopback webhook receiver's state. A module of its own name: `from conftest
import` would pick whichever conftest was imported first when several test folders run together."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

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


def provision(url: str, env: dict[str, str]) -> Aws:
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
