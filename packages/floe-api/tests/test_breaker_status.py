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
