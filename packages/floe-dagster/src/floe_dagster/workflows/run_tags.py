"""What a run of a workflow job is asked for, read from its tags (the workflow API and the UI set them):
`floe/date` (ISO date or datetime; default: the run's partition window, else now) and `floe/params` (JSON
object of param overrides, applied verbatim by render_plan)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime

from dagster import Failure

from floe_dagster.orchestration.jobs import PARAMS_TAG

DATE_TAG = "floe/date"
TRIGGER_FILE_TAG = "floe/trigger_file"  # set by the file-arrival sensor: `{{ trigger_file }}`

__all__ = ["DATE_TAG", "PARAMS_TAG", "TRIGGER_FILE_TAG", "requested_date", "requested_params"]


def requested_date(tags: Mapping[str, str]) -> date | datetime:
    text = tags.get(DATE_TAG)
    if not text:
        return datetime.now(UTC)
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        raise Failure(f"run tag {DATE_TAG}: not an ISO date or datetime (got {text!r})") from None


def requested_params(tags: Mapping[str, str]) -> dict[str, str]:
    text = tags.get(PARAMS_TAG)
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise Failure(f"run tag {PARAMS_TAG}: not a JSON object (got {text[:80]!r})") from None
    if not isinstance(value, dict):
        raise Failure(f"run tag {PARAMS_TAG}: not a JSON object (got {type(value).__name__})")
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}
