"""Sending one trigger to its target: AWS through boto3 (credentials, region and AWS_ENDPOINT_URL from the
standard AWS chain), the MWAA CLI endpoint over HTTPS with a CLI token, a webhook over HTTP. Every call is
bounded; secrets (the webhook URL, the MWAA token) never reach a log line or an error message.

Every send carries an identity derived from (upstream run, trigger) where the target can use one, so that a
send repeated after a crash between "sent" and "recorded" is recognised: a Step Functions execution name
(the service refuses a second execution of that name), an SQS FIFO deduplication id, a webhook
`Idempotency-Key` header; a Glue job run is looked up (`find_delivered`) before it is started again."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import urllib.request
from typing import Any

from floe_core.errors import FloeError
from floe_core.triggers import SourceEvent
from floe_core.triggers.loading import QUEUE_ENV
from floe_core.triggers.payloads import (
    eventbridge_detail,
    glue_arguments,
    mwaa_conf,
    sqs_message,
    step_function_input,
    webhook_body,
)
from floe_core.triggers.spec import (
    EventBridgeTarget,
    GlueJobTarget,
    MwaaDagTarget,
    SqsMwaaTarget,
    StepFunctionTarget,
    WebhookTarget,
)
from floe_core.urls import display_url

HTTP_TIMEOUT_SECONDS = 10


def _client(service: str, region: str | None = None) -> Any:
    import boto3
    from botocore.config import Config

    bounded = Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 2, "mode": "standard"})
    return boto3.client(service, region_name=region, config=bounded)


def idempotency_name(event: SourceEvent, key: str) -> str:
    """A name the target can refuse a second time (Step Functions execution names are unique)."""
    return "floe-" + hashlib.sha256(f"{event.run_id}:{key}".encode()).hexdigest()[:40]


AwsTarget = (
    GlueJobTarget | StepFunctionTarget | EventBridgeTarget | MwaaDagTarget | SqsMwaaTarget | WebhookTarget
)


def find_delivered(target: AwsTarget, event: SourceEvent) -> str | None:
    """After a crash between sending and recording: the run the target already has for this trigger, or None
    when the target cannot tell (then the send is repeated with the same identity)."""
    if not isinstance(target, GlueJobTarget):
        return None
    expected = glue_arguments(target, event)
    pages = _client("glue").get_paginator("get_job_runs").paginate(JobName=target.job_name)
    for page in pages:
        for job_run in page.get("JobRuns", []):
            if job_run.get("Arguments") == expected:
                return f"glue job run {job_run['Id']} (found after a restart)"
    return None


def deliver(target: AwsTarget, event: SourceEvent, key: str) -> str:
    """Send; returns what the target answered (an id), raises on failure."""
    if isinstance(target, GlueJobTarget):
        answer = _client("glue").start_job_run(
            JobName=target.job_name, Arguments=glue_arguments(target, event)
        )
        return f"glue job run {answer['JobRunId']}"
    if isinstance(target, StepFunctionTarget):
        region = target.arn.split(":")[3]
        client = _client("stepfunctions", region)
        try:
            answer = client.start_execution(
                stateMachineArn=target.arn,
                name=idempotency_name(event, key),
                input=json.dumps(step_function_input(target, event)),
            )
        except client.exceptions.ExecutionAlreadyExists:  # sent before a crash: the name is the identity
            return f"execution {idempotency_name(event, key)} (already started)"
        return f"execution {answer['executionArn']}"
    if isinstance(target, EventBridgeTarget):
        answer = _client("events").put_events(
            Entries=[
                {
                    "EventBusName": target.event_bus,
                    "Source": target.source,
                    "DetailType": target.detail_type,
                    "Detail": json.dumps(eventbridge_detail(target, event)),
                }
            ]
        )
        if answer.get("FailedEntryCount"):
            raise FloeError(f"EventBridge refused the event: {answer['Entries'][0].get('ErrorCode')}")
        return f"event {answer['Entries'][0]['EventId']}"
    if isinstance(target, SqsMwaaTarget):
        queue = target.queue_url or os.environ.get(QUEUE_ENV)
        if not queue:
            raise FloeError(f"sqs_mwaa: no queue_url and {QUEUE_ENV} is not set")
        message: dict[str, Any] = {"QueueUrl": queue, "MessageBody": json.dumps(sqs_message(target, event))}
        if queue.endswith(".fifo"):  # FIFO queues drop a repeated deduplication id for 5 minutes
            message |= {
                "MessageGroupId": event.job_name,
                "MessageDeduplicationId": idempotency_name(event, key),
            }
        answer = _client("sqs").send_message(**message)
        return f"message {answer['MessageId']}"
    if isinstance(target, MwaaDagTarget):
        return _trigger_mwaa(target, event)
    return _post_webhook(target, event, key)


def _trigger_mwaa(target: MwaaDagTarget, event: SourceEvent) -> str:
    """MWAA's CLI endpoint: a short-lived CLI token, then `dags trigger <dag> -c <conf>`."""
    token = _client("mwaa", target.region).create_cli_token(Name=target.environment_name)
    conf = json.dumps(mwaa_conf(target, event))
    request = urllib.request.Request(
        f"https://{token['WebServerHostname']}/aws_mwaa/cli",
        data=f"dags trigger {target.dag_id} -c '{conf}'".encode(),
        headers={"Authorization": f"Bearer {token['CliToken']}", "Content-Type": "text/plain"},
        method="POST",
    )
    if os.environ.get("FLOE_MWAA_CLI_URL"):  # a stand-in endpoint (tests; a private proxy)
        request.full_url = os.environ["FLOE_MWAA_CLI_URL"]
    with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
        answer = json.loads(response.read() or b"{}")
    stderr = base64.b64decode(answer.get("stderr", "")).decode(errors="replace")
    if "error" in stderr.lower():
        raise FloeError(f"MWAA refused dags trigger {target.dag_id}: {stderr.strip()[:300]}")
    return f"dag run of {target.dag_id}"


def _post_webhook(target: WebhookTarget, event: SourceEvent, key: str) -> str:
    url = os.environ.get(target.url_env)
    if not url:
        raise FloeError(f"webhook: ${target.url_env} is not set")
    body = json.dumps(webhook_body(target, event)).encode()
    request = urllib.request.Request(
        url,
        data=body,
        headers={"Content-Type": "application/json", "Idempotency-Key": idempotency_name(event, key)},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
        return f"webhook {display_url(url)} answered {response.status}"
