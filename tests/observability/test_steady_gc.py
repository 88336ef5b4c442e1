"""Full garbage collections must not stall lineage while dbt runs: the code location's objects are frozen
for the dbt invocation and handed back to the collector afterwards (floe_dagster.lineage.steady_gc)."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from floe_dagster.lineage.steady_gc import older_objects_frozen

MODELS = ["floe_obs.stg_customers", "floe_obs.stg_orders", "floe_obs.customer_orders"]


class _FreezeAtArrival(list[dict[str, Any]]):
    """The receiver's event list, noting how many objects were frozen when each event arrived.

    The loopback receiver runs in this process, so what it sees is the state during the step."""

    def __init__(self) -> None:
        super().__init__()
        self.frozen: dict[tuple[str, str], int] = {}

    def append(self, event: dict[str, Any]) -> None:
        self.frozen[(event["job"]["name"], event["eventType"])] = gc.get_freeze_count()
        super().append(event)


@pytest.mark.slow
def test_objects_alive_before_dbt_are_frozen_while_it_runs_and_released_after(
    project_factory: Any, run_project: Any, receiver: Any
) -> None:
    assert gc.get_freeze_count() == 0
    receiver.lineage = _FreezeAtArrival()
    project = project_factory({"lineage": {"url": receiver.url, "namespace": "gc"}})

    result = run_project(project)

    assert result.success
    seen = receiver.lineage.frozen
    for model in MODELS:
        for state in ("START", "COMPLETE"):
            assert seen[(model, state)] > 10_000, (model, state, seen)  # the loaded code location
    # Python assets are not dbt invocations: nothing frozen around them
    assert seen[("raw_orders", "COMPLETE")] == 0
    # handed back: a later collection can free garbage among them
    assert gc.get_freeze_count() == 0


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
