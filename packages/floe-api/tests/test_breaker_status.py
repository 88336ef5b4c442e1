from __future__ import annotations

import pytest
from floe_api.breaker import CircuitBreaker, CircuitOpen
from floe_api.status import RunStatus, map_status


def test_breaker_opens_after_the_threshold_and_recovers_after_the_cooldown() -> None:
    now = [0.0]
    breaker = CircuitBreaker(threshold=2, cooldown=10, clock=lambda: now[0])
    breaker.failure()
    breaker.before()  # one failure: still closed
    breaker.failure()
    with pytest.raises(CircuitOpen):
        breaker.before()
    now[0] = 10.0
    assert breaker.state == "half-open"
    breaker.before()
    breaker.success()
    assert breaker.state == "closed"


@pytest.mark.parametrize(
    ("dagster", "expected"),
    [
        ("QUEUED", RunStatus.PENDING),
        ("NOT_STARTED", RunStatus.PENDING),
        ("STARTING", RunStatus.PENDING),
        ("STARTED", RunStatus.RUNNING),
        ("SUCCESS", RunStatus.SUCCESS),
        ("FAILURE", RunStatus.FAILED),
        ("CANCELING", RunStatus.STOPPING),
        ("CANCELED", RunStatus.STOPPED),
    ],
)
def test_status_mapping(dagster: str, expected: RunStatus) -> None:
    assert map_status(dagster) is expected


@pytest.mark.parametrize(
    ("dagster", "approval", "expected"),
    [
        ("SUCCESS", "PENDING_APPROVAL", RunStatus.PENDING_APPROVAL),
        ("FAILURE", "PENDING_APPROVAL", RunStatus.PENDING_APPROVAL),  # a blocking check failed the run
        ("FAILURE", "APPROVED", RunStatus.SUCCESS),  # its outcome accepted
        ("SUCCESS", "REJECTED", RunStatus.FAILED),
        ("STARTED", "PENDING_APPROVAL", RunStatus.RUNNING),  # only a finished run is held
        ("SUCCESS", None, RunStatus.SUCCESS),
    ],
)
def test_status_mapping_under_the_approval_gate(
    dagster: str, approval: str | None, expected: RunStatus
) -> None:
    tags = {"floe/approval": approval} if approval else {}
    assert map_status(dagster, tags) is expected


def test_a_run_that_just_ended_is_not_final_until_the_gate_could_have_held_it() -> None:
    from datetime import UTC, datetime, timedelta

    from floe_api.registry import Run
    from floe_api.service import _final
    from floe_api.status import SETTLE_SECONDS

    now = datetime.now(UTC)
    just = Run(run_id="r", status="SUCCESS", ended_at=now - timedelta(seconds=1))
    settled = Run(run_id="s", status="SUCCESS", ended_at=now - timedelta(seconds=SETTLE_SECONDS + 1))
    held = Run(run_id="h", status="PENDING_APPROVAL", ended_at=now - timedelta(hours=1))
    assert not _final(just) and _final(settled) and not _final(held)
