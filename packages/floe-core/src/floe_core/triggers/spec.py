"""Downstream triggers (seed 003): per upstream job, `on_success` and `on_approval` lists of targets.

The document's JSON shape is accepted as is (`{"workflows": {"<job>": {"description", "on_success",
"on_approval"}}}`) with exactly its target fields — `glue_job`, `step_function`, `eventbridge`, `mwaa_dag`,
`sqs_mwaa` — plus floe's own `dagster_job` (launch a job of this code location) and `webhook`. Pure models:
what a target receives is built by floe_core.triggers.payloads, delivered by floe-dagster.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from floe_core.spec.base import FloeModel
from floe_core.workflows.durations import Duration, parse_duration
from floe_core.workflows.notifications import Notification

STEP_FUNCTION_ARN = r"^arn:aws[a-z-]*:states:[a-z0-9-]+:\d+:stateMachine:[A-Za-z0-9_-]{1,80}$"
Mapping_ = dict[str, str]  # target parameter -> dot path into the source event


class _Target(FloeModel):
    description: str | None = None


class GlueJobTarget(_Target):
    type: Literal["glue_job"]
    job_name: str = Field(min_length=1, max_length=255)
    arguments: dict[str, str] = Field(
        default_factory=dict, description="Glue job arguments; `${path}` takes a value from the source event"
    )


class StepFunctionTarget(_Target):
    type: Literal["step_function"]
    arn: str = Field(
        pattern=STEP_FUNCTION_ARN, description="arn:aws:states:<region>:<account>:stateMachine:<name>"
    )


class EventBridgeTarget(_Target):
    type: Literal["eventbridge"]
    event_bus: str = "default"
    detail_type: str = Field(min_length=1)
    source: str = Field(min_length=1)


class MwaaDagTarget(_Target):
    type: Literal["mwaa_dag"]
    environment_name: str = Field(min_length=1)
    region: str | None = None
    dag_id: str = Field(min_length=1)
    conf: dict[str, object] = Field(default_factory=dict)
    parameter_mapping: Mapping_ = Field(default_factory=dict)


class SqsMwaaTarget(_Target):
    type: Literal["sqs_mwaa"]
    dag_id: str = Field(min_length=1)
    queue_url: str | None = Field(default=None, description="default: $MWAA_TRIGGER_QUEUE_URL")
    conf: dict[str, object] = Field(default_factory=dict)
    parameter_mapping: Mapping_ = Field(default_factory=dict)


class DagsterJobTarget(_Target):
    """floe's own: launch a job of this code location; mapped parameters become run tags
    (`floe/param/<name>`), and `partition` (a dot path) the run's partition."""

    type: Literal["dagster_job"]
    job: str = Field(min_length=1)
    parameter_mapping: Mapping_ = Field(default_factory=dict)
    partition: str | None = Field(default=None, description="dot path into the source event")


class WebhookTarget(_Target):
    """floe's own: POST the payload as JSON; the URL from an environment variable (it may hold a token)."""

    type: Literal["webhook"]
    url_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    parameter_mapping: Mapping_ = Field(default_factory=dict)


Target = Annotated[
    GlueJobTarget
    | StepFunctionTarget
    | EventBridgeTarget
    | MwaaDagTarget
    | SqsMwaaTarget
    | DagsterJobTarget
    | WebhookTarget,
    Field(discriminator="type"),
]


class ApprovalPolicy(FloeModel):
    """A quality failure (a failed asset check or dbt test) holds the run in PENDING_APPROVAL for a human
    decision instead of ending it; `on_approval` fires when it is approved."""

    timeout: Duration = Field(default="24h", description="rejected automatically after this long")
    notify: list[Notification] = Field(
        default_factory=list, description="told when a run waits for approval (the workflows' channels)"
    )

    @property
    def timeout_seconds(self) -> int:
        return parse_duration(self.timeout)


class UpstreamTriggers(FloeModel):
    description: str | None = None
    on_success: list[Target] = Field(default_factory=list)
    on_approval: list[Target] = Field(default_factory=list)
    approval: ApprovalPolicy | None = None

    @property
    def gate(self) -> ApprovalPolicy | None:
        """The approval policy in force: `approval`, or the defaults when only `on_approval` is given (the
        document's shape: on_approval means "after a quality failure, on a human's approval")."""
        if self.approval is not None:
            return self.approval
        return ApprovalPolicy() if self.on_approval else None


class TriggerConfig(FloeModel):
    """The document's `workflow_config.json`: upstream job name -> its triggers."""

    workflows: dict[str, UpstreamTriggers] = Field(default_factory=dict)
