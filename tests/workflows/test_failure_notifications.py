"""Failure notifications of a workflow (contract §9.2), delivered to real loopback receivers: an SMTP server
(aiosmtpd), Slack-, PagerDuty- and webhook-shaped HTTP servers. A dead channel is one warning and never stops
the others; no secret reaches the tick message."""

from __future__ import annotations

import json
import sys
import textwrap
import threading
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from dagster import DagsterEventType, DagsterInstance, build_run_status_sensor_context
from floe_core.workflows.notify import PAGERDUTY_URL_ENV
from floe_dagster.workflows.failure_sensor import SENSOR_NAME

RECORD_JOB = Path(__file__).parent / "record_job.py"
SECRETS = {"SLACK_HOOK_URL": "", "PD_ROUTING_KEY": "pdKey-S3cr3t", "HOOK_TOKEN": "Bearer t0k-S3cr3t"}


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, _Mailbox]]:
    import socket

    with socket.socket() as probe:  # aiosmtpd's controller checks its port by connecting: it cannot be 0
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = _Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, mailbox
    finally:
        controller.stop()


@pytest.fixture
def http() -> Iterator[tuple[str, list[tuple[str, dict[str, str], Any]]]]:
    received: list[tuple[str, dict[str, str], Any]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append((self.path, dict(self.headers), body))
            self.send_response(202)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", received
    finally:
        server.shutdown()


def _project(root: Path, smtp_port: int, base: str) -> Path:
    root.mkdir()
    (root / "floe.yaml").write_text(
        textwrap.dedent(
            f"""\
            name: alerts
            version: "1.0"
            compute:
              default: dev
              targets:
                dev: {{type: duckdb, properties: {{path: alerts.duckdb}}}}
            workflows:
              runtime: {{type: subprocess}}
              notifications:
                email: {{host: 127.0.0.1, port: {smtp_port}, from: floe@example.com, security: none}}
                slack: {{webhook_url_env: SLACK_HOOK_URL}}
              inline:
                - workflow:
                    name: nightly
                    notifications:
                      on_failure:
                        - {{type: email, recipients: [oncall@example.com]}}
                        - {{type: slack, channel: "#data-alerts"}}
                        - {{type: pagerduty, routing_key_env: PD_ROUTING_KEY, severity: critical}}
                        - {{type: webhook, url: "http://127.0.0.1:9/dead?token=abc", headers_env: {{}}}}
                        - {{type: webhook, url: "{base}/hook", headers_env: {{Authorization: HOOK_TOKEN}}}}
                    jobs:
                      - job:
                          name: load_sales
                          image: floe-test/python:3.11
                          command: ["{sys.executable}", "{RECORD_JOB}", "{root / "out"}", "load_sales", "fail"]
            """
        )
    )
    return root


def test_a_failed_workflow_run_notifies_every_channel(
    tmp_path: Path,
    smtp: tuple[int, _Mailbox],
    http: tuple[str, list[tuple[str, dict[str, str], Any]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from floe_core.compiler import compile_project
    from floe_dagster import FloeDefinitions
    from floe_dbt.compile_step import run as floe_dbt_step

    port, mailbox = smtp
    base, received = http
    for name, value in {**SECRETS, "SLACK_HOOK_URL": f"{base}/slack"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(PAGERDUTY_URL_ENV, f"{base}/v2/enqueue")
    monkeypatch.setenv("DAGSTER_URL", "http://dagster.example.com:3000")
    project = _project(tmp_path / "project", port, base)
    compile_project(project / "floe.yaml", steps={"dbt": floe_dbt_step})
    defs = FloeDefinitions.from_compiled_artifacts(project / ".floe" / "compiled_artifacts.json")

    with DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("nightly").execute_in_process(
            instance=instance, raise_on_error=False, tags={"floe/date": "2024-06-01"}
        )
        assert not result.success
        run = instance.get_run_by_id(result.run_id)
        failure = instance.all_logs(result.run_id, of_type=DagsterEventType.RUN_FAILURE)[0].dagster_event
        context = build_run_status_sensor_context(
            sensor_name=SENSOR_NAME, dagster_instance=instance, dagster_run=run, dagster_event=failure
        ).for_run_failure()
        tick = defs.resolve_sensor_def(SENSOR_NAME)(context)

    run_url = f"http://dagster.example.com:3000/runs/{result.run_id}"
    ((recipients, mail),) = mailbox.messages
    assert recipients == ["oncall@example.com"]
    assert mail["Subject"] == f"[floe] workflow nightly failed: load_sales (run {result.run_id[:8]})"
    body = mail.get_payload()
    assert "code 3" in body and run_url in body and "execution date: 2024-06-01" in body
    by_path = {path: (headers, payload) for path, headers, payload in received}
    assert by_path["/slack"][1]["channel"] == "#data-alerts" and run_url in by_path["/slack"][1]["text"]
    pagerduty = by_path["/v2/enqueue"][1]
    assert pagerduty["routing_key"] == "pdKey-S3cr3t" and pagerduty["event_action"] == "trigger"
    assert pagerduty["payload"]["severity"] == "critical"
    assert pagerduty["payload"]["custom_details"]["failed_jobs"] == ["load_sales"]
    hook_headers, hook = by_path["/hook"]
    assert hook_headers["Authorization"] == "Bearer t0k-S3cr3t"
    assert hook["workflow"] == "nightly" and hook["run_id"] == result.run_id
    assert any("code 3" in e for e in hook["errors"])
    # the dead webhook: reported, not fatal, and nothing secret in what Dagster stores for the tick
    message = tick.skip_message
    assert "not delivered: webhook http://127.0.0.1:9/dead (query hidden)" in message
    assert "notified email oncall@example.com, slack #data-alerts, pagerduty" in message
    for secret in ("pdKey-S3cr3t", "t0k-S3cr3t", "token=abc", "/slack"):
        assert secret not in message
