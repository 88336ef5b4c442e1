"""Structured JSON lines of the contract (§10.2): one per start, completion, failure, retry and dependency
resolution, with timestamp, workflow, job, status, duration_seconds, execution_date and attempt. They go
to Dagster's event log (the run's logs in the UI) and to the `floe.workflow` logger (JSON via structlog)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from dagster import OpExecutionContext

from floe_dagster.observability.logging import get_logger

Status = Literal["started", "succeeded", "failed", "retrying", "dependencies_resolved", "skipped"]
log = get_logger("floe.workflow")


@dataclass(frozen=True)
class JobRunLog:
    context: OpExecutionContext
    workflow: str
    job: str
    execution_date: str
    attempt: int  # 1 for the first attempt

    def emit(self, status: Status, *, duration_seconds: float | None = None, **extra: Any) -> dict[str, Any]:
        record: dict[str, Any] = {
            "timestamp": datetime.now(UTC).isoformat(),
            "workflow": self.workflow,
            "job": self.job,
            "status": status,
            "duration_seconds": None if duration_seconds is None else round(duration_seconds, 3),
            "execution_date": self.execution_date,
            "attempt": self.attempt,
            **extra,
        }
        line = json.dumps(record, default=str)
        if status in ("failed", "retrying"):
            self.context.log.warning(line)
        else:
            self.context.log.info(line)
        log.info(f"job {status}", **{k: v for k, v in record.items() if k != "timestamp"})
        return record
