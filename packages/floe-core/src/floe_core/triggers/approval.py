"""The approval gate's state, kept as tags on the upstream run (the orchestrator's own record, shown in its
UI, surviving restarts), and the notice sent when a run starts waiting.

States: PENDING_APPROVAL (a quality check failed; nothing downstream fires) → APPROVED (a human said so:
`on_approval` fires once) or REJECTED (a human, or the timeout). Who, when and why are tags beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal

APPROVAL_TAG = "floe/approval"
DEADLINE_TAG = "floe/approval_deadline"
FAILED_CHECKS_TAG = "floe/approval_failed_checks"
DECIDED_BY_TAG = "floe/approval_by"
DECIDED_AT_TAG = "floe/approval_at"
REASON_TAG = "floe/approval_reason"
DECISION_RUN_TAG = "floe/approval_decision_run"  # on the decision's own run: the upstream run it decides

PENDING = "PENDING_APPROVAL"
APPROVED: Final = "APPROVED"
REJECTED: Final = "REJECTED"
Decision = Literal["APPROVED", "REJECTED"]
TIMEOUT_ACTOR = "timeout"
MAX_REASON = 500


def decision_tags(decision: Decision, by: str, at: datetime, reason: str | None) -> dict[str, str]:
    tags = {
        APPROVAL_TAG: decision,
        DECIDED_BY_TAG: by[:200],
        DECIDED_AT_TAG: at.isoformat(timespec="seconds"),
    }
    if reason:
        tags[REASON_TAG] = reason[:MAX_REASON]
    return tags


@dataclass(frozen=True)
class ApprovalNotice:
    """Told to the approval policy's channels when a run starts waiting."""

    workflow: str
    run_id: str
    run_url: str
    failed_checks: list[str] = field(default_factory=list)
    deadline: str | None = None

    @property
    def summary(self) -> str:
        return f"{self.workflow} waits for approval: quality checks failed (run {self.run_id[:8]})"

    def text(self) -> str:
        lines = [self.summary]
        lines += [f"failed check: {c}" for c in self.failed_checks[:10]]
        if self.deadline:
            lines.append(f"rejected automatically at {self.deadline} unless approved")
        lines.append(f"approve: floe workflow approve {self.run_id} --reason '...'")
        lines.append(f"run: {self.run_url}")
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        return {
            "event": "approval_required",
            "status": PENDING,
            "workflow": self.workflow,
            "run_id": self.run_id,
            "failed_checks": self.failed_checks,
            "deadline": self.deadline,
            "run_url": self.run_url,
        }
