"""Failure notifications (contract §9.2): what a workflow asks for, and the server settings floe.yaml gives.

A workflow names channels (`{type: email, recipients: [...]}`, `{type: slack, channel: "#x"}`); how to
reach them (SMTP server, Slack webhook URL) is deployment configuration: floe.yaml
`workflows.notifications`, else environment variables (below). Secrets are only ever environment variable
*names*; the sender reads the values at send time. Sending is the orchestrator adapter's job.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import Field

from floe_core.errors import FloeError
from floe_core.spec.base import FloeModel
from floe_core.workflows.job import EnvName

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
Email = Annotated[str, Field(pattern=EMAIL_PATTERN, description="e-mail address")]
DEFAULT_SLACK_WEBHOOK_ENV = "FLOE_SLACK_WEBHOOK_URL"
# environment variables read when floe.yaml has no `workflows.notifications.email`
SMTP_ENV = {
    "host": "FLOE_SMTP_HOST",
    "port": "FLOE_SMTP_PORT",
    "username": "FLOE_SMTP_USER",
    "password_env": "FLOE_SMTP_PASSWORD_ENV",
    "sender": "FLOE_SMTP_FROM",
    "security": "FLOE_SMTP_SECURITY",
}


class EmailNotification(FloeModel):
    type: Literal["email"]
    recipients: list[Email] = Field(min_length=1)


class SlackNotification(FloeModel):
    """Slack incoming webhook; `channel` is shown in the message (webhooks post to their own channel)."""

    type: Literal["slack"]
    channel: str = Field(pattern=r"^[#@]?[A-Za-z0-9_.\-]{1,80}$", description="e.g. '#data-alerts'")
    webhook_url_env: EnvName | None = Field(
        default=None,
        description="variable holding the webhook URL; default: workflows.notifications.slack, else"
        f" {DEFAULT_SLACK_WEBHOOK_ENV}",
    )


class PagerDutyNotification(FloeModel):
    """PagerDuty Events API v2 `trigger` event."""

    type: Literal["pagerduty"]
    routing_key_env: EnvName = Field(description="variable holding the integration's routing key")
    severity: Literal["critical", "error", "warning", "info"] = "error"


class WebhookNotification(FloeModel):
    """A JSON POST to `url`; header values come from environment variables (e.g. Authorization)."""

    type: Literal["webhook"]
    url: str = Field(pattern=r"^https?://[^\s]+$")
    headers_env: dict[str, EnvName] = Field(
        default_factory=dict, description="header name -> variable holding its value"
    )


Notification = Annotated[
    EmailNotification | SlackNotification | PagerDutyNotification | WebhookNotification,
    Field(discriminator="type"),
]


class Notifications(FloeModel):
    on_failure: list[Notification] = Field(default_factory=list, description="sent when a job fails")


class SmtpSettings(FloeModel):
    """`workflows.notifications.email` in floe.yaml (or the FLOE_SMTP_* variables)."""

    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    username: str | None = None
    password_env: EnvName | None = Field(default=None, description="variable holding the SMTP password")
    sender: str = Field(alias="from", pattern=EMAIL_PATTERN, description="From address")
    security: Literal["starttls", "ssl", "none"] = "starttls"
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)


class SlackSettings(FloeModel):
    webhook_url_env: EnvName = DEFAULT_SLACK_WEBHOOK_ENV


class NotificationSettings(FloeModel):
    """`workflows.notifications` in floe.yaml: how to reach the channels workflows name."""

    email: SmtpSettings | None = None
    slack: SlackSettings = Field(default_factory=SlackSettings)


def smtp_settings(settings: NotificationSettings, environ: Mapping[str, str]) -> SmtpSettings | None:
    """floe.yaml's SMTP settings, else the FLOE_SMTP_* variables; None when neither names a host."""
    if settings.email is not None:
        return settings.email
    host = environ.get(SMTP_ENV["host"], "")
    if not host:
        return None
    values: dict[str, object] = {"host": host}
    for field, variable in SMTP_ENV.items():
        if field != "host" and environ.get(variable):
            values["from" if field == "sender" else field] = environ[variable]
    try:
        return SmtpSettings.model_validate(values)
    except ValueError as exc:
        names = ", ".join(SMTP_ENV.values())
        raise FloeError(f"the SMTP settings from the environment ({names}) are invalid: {exc}") from None


def slack_webhook_env(notification: SlackNotification, settings: NotificationSettings) -> str:
    """Name of the variable holding this Slack notification's webhook URL."""
    return notification.webhook_url_env or settings.slack.webhook_url_env
