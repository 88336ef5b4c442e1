"""What each target receives, built from the source event exactly as seed 003 shows it (pure functions)."""

from __future__ import annotations

import json
import re
from typing import Any

from floe_core.triggers.event import SourceEvent
from floe_core.triggers.spec import (
    DagsterJobTarget,
    EventBridgeTarget,
    GlueJobTarget,
    MwaaDagTarget,
    SqsMwaaTarget,
    StepFunctionTarget,
    WebhookTarget,
)

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.]*)\}")
PARAM_TAG_PREFIX = "floe/param/"


def _origin(event: SourceEvent) -> dict[str, Any]:
    return {"triggered_by_job": event.job_name, "triggered_by_run_id": event.run_id}


def mapped(mapping: dict[str, str], event: SourceEvent) -> dict[str, Any]:
    """`parameter_mapping` applied: target parameter -> the value at its dot path (absent values left out)."""
    values = {name: event.resolve(path) for name, path in mapping.items()}
    return {name: value for name, value in values.items() if value is not None}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def glue_arguments(target: GlueJobTarget, event: SourceEvent) -> dict[str, str]:
    """The job run's Arguments: the target's (`${artifacts.output_path}` filled in) plus the automatic ones."""
    own = {
        key: _REFERENCE.sub(lambda m: _text(event.resolve(m.group(1)) or ""), value)
        for key, value in target.arguments.items()
    }
    return {
        **own,
        "--triggered_by_job": event.job_name,
        "--triggered_by_run_id": event.run_id,
        "--source_artifacts": json.dumps(event.artifacts, sort_keys=True),
    }


def step_function_input(target: StepFunctionTarget, event: SourceEvent) -> dict[str, Any]:
    return {**_origin(event), "source_event": event.model_dump(mode="json")}


def eventbridge_detail(target: EventBridgeTarget, event: SourceEvent) -> dict[str, Any]:
    return {**_origin(event), "source_event": event.model_dump(mode="json")}


def mwaa_conf(target: MwaaDagTarget, event: SourceEvent) -> dict[str, Any]:
    return {
        **_origin(event),
        **mapped(target.parameter_mapping, event),
        "source_artifacts": event.artifacts,
        "source_metrics": event.metrics,
        **target.conf,
    }


def sqs_message(target: SqsMwaaTarget, event: SourceEvent) -> dict[str, Any]:
    return {
        "dag_id": target.dag_id,
        "conf": {**_origin(event), **mapped(target.parameter_mapping, event), **target.conf},
    }


def dagster_run_tags(target: DagsterJobTarget, event: SourceEvent) -> dict[str, str]:
    tags = {"floe/triggered_by_job": event.job_name, "floe/triggered_by_run_id": event.run_id}
    tags |= {PARAM_TAG_PREFIX + k: _text(v) for k, v in mapped(target.parameter_mapping, event).items()}
    return tags


def webhook_body(target: WebhookTarget, event: SourceEvent) -> dict[str, Any]:
    return {
        **_origin(event),
        **mapped(target.parameter_mapping, event),
        "source_event": event.model_dump(mode="json"),
    }
