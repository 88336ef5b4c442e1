"""Failure notifications of workflows (contract §9.2): e-mail (SMTP), Slack incoming webhook, PagerDuty
Events API v2 and a generic JSON webhook, sent by each orchestrator adapter (Dagster: a run-failure sensor,
floe_dagster.workflows.failure_sensor; Airflow: the tasks' on_failure_callback, floe_airflow.runtime).

Every send is bounded by a timeout; a channel that fails is logged once as a warning and never fails the
sensor or another channel. Secrets (SMTP password, webhook URLs, routing keys, header values) are read from
environment variables at send time and never appear in a log line or the sensor's tick message: channels
are named by type and target only (`slack #data-alerts`, `webhook https://host/path (query hidden)`).
"""

from __future__ import annotations

import json
import os
import smtplib
import ssl
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Protocol

from floe_core.urls import display_url
from floe_core.workflows import (
    EmailNotification,
    NotificationSettings,
    PagerDutyNotification,
    SlackNotification,
    SmtpSettings,
    WebhookNotification,
)
from floe_core.workflows.notifications import slack_webhook_env, smtp_settings

PAGERDUTY_URL_ENV = "FLOE_PAGERDUTY_EVENTS_URL"  # another Events API v2 endpoint (a proxy, a test receiver)
PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
HTTP_TIMEOUT_SECONDS = 10.0

Notification = EmailNotification | SlackNotification | PagerDutyNotification | WebhookNotification


class Notice(Protocol):
    """What a channel needs of a message: a failed run (FailureNotice), a run waiting for approval
    (floe_core.triggers.approval.ApprovalNotice)."""

    @property
    def workflow(self) -> str: ...
    @property
    def run_id(self) -> str: ...
    @property
    def run_url(self) -> str: ...
    @property
    def summary(self) -> str: ...
    def text(self) -> str: ...
    def as_json(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class FailureNotice:
    """What every channel is told about a failed workflow run."""

    workflow: str
    run_id: str
    failed_jobs: list[str]
    errors: list[str]
    run_url: str
    execution_date: str | None = None

    @property
    def summary(self) -> str:
        jobs = ", ".join(self.failed_jobs) or "the run"
        return f"workflow {self.workflow} failed: {jobs} (run {self.run_id[:8]})"

    def text(self) -> str:
        lines = [self.summary]
        if self.execution_date:
            lines.append(f"execution date: {self.execution_date}")
        lines += [f"error: {e}" for e in self.errors[:5]]
        lines.append(f"run: {self.run_url}")
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        return {
            "event": "workflow_failed",
            "workflow": self.workflow,
            "run_id": self.run_id,
            "failed_jobs": self.failed_jobs,
            "errors": self.errors,
            "execution_date": self.execution_date,
            "run_url": self.run_url,
        }


@dataclass
class Outcome:
    delivered: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def describe(self) -> str:
        parts = []
        if self.delivered:
            parts.append("notified " + ", ".join(self.delivered))
        if self.failed:
            parts.append("not delivered: " + ", ".join(self.failed))
        return "; ".join(parts) or "no notification configured"


class NotConfigured(Exception):
    """A channel whose deployment settings (SMTP host, webhook variable...) are missing."""


def notify_failure(
    notice: Notice,
    channels: Sequence[Notification],
    settings: NotificationSettings,
    warn: Callable[[str], None],
    environ: Mapping[str, str] | None = None,
) -> Outcome:
    """Send `notice` to every channel; never raises. `warn` receives one line per channel that failed."""
    env = os.environ if environ is None else environ
    outcome = Outcome()
    for channel in channels:
        label = _label(channel)
        try:
            _send(channel, notice, settings, env)
        except Exception as exc:  # any failure of one channel: say so once, go on with the others
            reason = str(exc) if isinstance(exc, NotConfigured) else type(exc).__name__
            warn(
                f"workflow {notice.workflow}: notification to {label} failed ({reason}); the run is unaffected"
            )
            outcome.failed.append(label)
        else:
            outcome.delivered.append(label)
    return outcome


def _label(channel: Notification) -> str:
    if isinstance(channel, EmailNotification):
        return f"email {', '.join(channel.recipients)}"
    if isinstance(channel, SlackNotification):
        return f"slack {channel.channel}"
    if isinstance(channel, PagerDutyNotification):
        return "pagerduty"
    return f"webhook {display_url(channel.url)}"


def _send(
    channel: Notification, notice: Notice, settings: NotificationSettings, env: Mapping[str, str]
) -> None:
    if isinstance(channel, EmailNotification):
        smtp = smtp_settings(settings, env)
        if smtp is None:
            raise NotConfigured("no SMTP server: set workflows.notifications.email or FLOE_SMTP_HOST")
        send_email(smtp, channel.recipients, notice, env)
    elif isinstance(channel, SlackNotification):
        url = _required(env, slack_webhook_env(channel, settings), "the Slack webhook URL")
        post_json(url, {"channel": channel.channel, "text": notice.text()})
    elif isinstance(channel, PagerDutyNotification):
        key = _required(env, channel.routing_key_env, "the PagerDuty routing key")
        event = {
            "routing_key": key,
            "event_action": "trigger",
            "dedup_key": f"floe-{notice.workflow}-{notice.run_id}",
            "payload": {
                "summary": notice.summary[:1024],
                "source": f"floe/{notice.workflow}",
                "severity": channel.severity,
                "custom_details": notice.as_json(),
            },
            "links": [{"href": notice.run_url, "text": "Dagster run"}],
        }
        post_json(env.get(PAGERDUTY_URL_ENV) or PAGERDUTY_EVENTS_URL, event)
    else:
        headers = {name: _required(env, var, f"header {name}") for name, var in channel.headers_env.items()}
        post_json(channel.url, notice.as_json(), headers)


def _required(env: Mapping[str, str], name: str, what: str) -> str:
    value = env.get(name)
    if not value:
        raise NotConfigured(f"{what} is read from ${name}, which is not set")
    return value


def post_json(url: str, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> None:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
        response.read(4096)


def send_email(smtp: SmtpSettings, recipients: Sequence[str], notice: Notice, env: Mapping[str, str]) -> None:
    message = EmailMessage()
    message["Subject"] = f"[floe] {notice.summary}"
    message["From"] = smtp.sender
    message["To"] = ", ".join(recipients)
    message.set_content(notice.text())
    password = _required(env, smtp.password_env, "the SMTP password") if smtp.password_env else None
    client: smtplib.SMTP
    if smtp.security == "ssl":
        client = smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=smtp.timeout_seconds, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
    with client:
        if smtp.security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if smtp.username and password is not None:
            client.login(smtp.username, password)
        client.send_message(message)
