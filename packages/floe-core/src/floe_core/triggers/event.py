"""The source event a trigger is built from (seed 003: the upstream job's event), and `parameter_mapping`'s
dot paths into it."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from floe_core.spec.base import FloeModel

_MISSING = object()
EVENT_FIELDS = (
    "job_name",
    "run_id",
    "status",
    "start_date",
    "end_date",
    "created_by",
    "artifacts",
    "metrics",
)
OPEN_FIELDS = ("artifacts", "metrics")  # their keys are known only when a run has finished


class SourceEvent(FloeModel):
    job_name: str
    run_id: str
    status: str
    start_date: str | None = None  # ISO 8601
    end_date: str | None = None
    created_by: str | None = None
    artifacts: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, Any] = Field(default_factory=dict)

    def resolve(self, path: str) -> Any:
        """The value at a dot path (`artifacts.output_path`), or None when the event has none there."""
        value: Any = self.model_dump()
        for part in path.split("."):
            if not isinstance(value, dict) or part not in value:
                return None
            value = value[part]
        return value


def path_problem(path: str) -> str | None:
    """Why `path` can never resolve against any source event, or None."""
    head, _, rest = path.partition(".")
    if head not in EVENT_FIELDS:
        return f"{path!r} names no field of the source event ({', '.join(EVENT_FIELDS)})"
    if rest and head not in OPEN_FIELDS:
        return f"{path!r}: {head} has no fields (only {' and '.join(OPEN_FIELDS)} have)"
    return None
