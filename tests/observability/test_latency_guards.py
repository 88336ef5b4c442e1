"""While dbt runs, neither full garbage collections nor slow GIL hand-offs may stall lineage: the code
location's objects are frozen for the dbt invocation and handed back afterwards, and the switch interval is
shortened then restored (floe_dagster.observability.dbt_run.latency_guards)."""

from __future__ import annotations

import gc
import sys
from typing import Any

import pytest
from floe_dagster.observability.dbt_run.latency_guards import older_objects_frozen, prompt_thread_switches

MODELS = ["floe_obs.stg_customers", "floe_obs.stg_orders", "floe_obs.customer_orders"]


class _FreezeAtArrival(list[dict[str, Any]]):
    """The receiver's event list, noting how many objects were frozen when each event arrived.

    The loopback receiver runs in this process, so what it sees is the state during the step."""

    def __init__(self) -> None:
        super().__init__()
        self.frozen: dict[tuple[str, str], int] = {}
        self.switch: dict[tuple[str, str], float] = {}

    def append(self, event: dict[str, Any]) -> None:
        key = (event["job"]["name"], event["eventType"])
        self.frozen[key] = gc.get_freeze_count()
        self.switch[key] = sys.getswitchinterval()
        super().append(event)


@pytest.mark.slow
def test_while_dbt_runs_objects_are_frozen_and_threads_switch_promptly_then_both_are_restored(
    project_factory: Any, run_project: Any, receiver: Any
) -> None:
    assert gc.get_freeze_count() == 0
    default_switch = sys.getswitchinterval()
    receiver.lineage = _FreezeAtArrival()
    project = project_factory({"lineage": {"url": receiver.url, "namespace": "gc"}})

    result = run_project(project)

    assert result.success
    seen, switch = receiver.lineage.frozen, receiver.lineage.switch
    for model in MODELS:
        for state in ("START", "COMPLETE"):
            assert seen[(model, state)] > 10_000, (model, state, seen)  # the loaded code location
            assert switch[(model, state)] == pytest.approx(0.001)
    # Python assets are not dbt invocations: nothing frozen around them
    assert seen[("raw_orders", "COMPLETE")] == 0
    assert switch[("raw_orders", "COMPLETE")] == default_switch
    # handed back: a later collection can free garbage among them; the interval is Python's again
    assert gc.get_freeze_count() == 0
    assert sys.getswitchinterval() == default_switch


def test_frozen_only_inside_the_block_and_released_on_error() -> None:
    assert gc.get_freeze_count() == 0
    keep = [object() for _ in range(10)]
    with pytest.raises(RuntimeError, match="dbt failed"), older_objects_frozen():
        assert gc.get_freeze_count() > 0
        raise RuntimeError("dbt failed")
    assert gc.get_freeze_count() == 0
    del keep


def test_leaves_a_freeze_made_by_someone_else_alone() -> None:
    gc.freeze()
    try:
        with older_objects_frozen():
            pass
        assert gc.get_freeze_count() > 0  # not unfrozen: the other code owns that freeze
    finally:
        gc.unfreeze()


def test_does_nothing_when_the_collector_is_disabled() -> None:
    gc.disable()
    try:
        with older_objects_frozen():
            assert gc.get_freeze_count() == 0
    finally:
        gc.enable()


def test_switch_interval_is_shortened_for_the_block_never_lengthened() -> None:
    before = sys.getswitchinterval()
    with pytest.raises(RuntimeError), prompt_thread_switches(0.001):
        assert sys.getswitchinterval() == pytest.approx(0.001)
        raise RuntimeError("dbt failed")
    assert sys.getswitchinterval() == before
    sys.setswitchinterval(0.0005)
    try:
        with prompt_thread_switches(0.001):
            assert sys.getswitchinterval() == pytest.approx(0.0005)  # someone chose shorter: kept
    finally:
        sys.setswitchinterval(before)
