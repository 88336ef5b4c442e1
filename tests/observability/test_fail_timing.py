"""SC-004: a failed model's FAIL is sent when the model fails, not when the dbt invocation ends.

The project has a broken model next to an independent slow model (a dbt-duckdb Python model that sleeps).
dbt reports the broken model's error text on stdout only in its end-of-run summary, i.e. after the slow
model finished; floe reads it from dbt's debug file log as soon as the node finishes. So the FAIL must be
received before the slow model's COMPLETE — an ordering, not a wall-clock threshold.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.slow

SLOW_MODEL = """
import time


def model(dbt, session):
    dbt.config(materialized="table")
    orders = dbt.ref("stg_orders")
    time.sleep(6)  # long enough that the broken sibling surely fails while this one still runs
    return orders
"""


def test_fail_is_sent_while_the_rest_of_the_build_still_runs(
    project_factory: Any, run_project: Any, receiver: Any, validate_event: Any
) -> None:
    project = project_factory(
        {"lineage": {"url": receiver.url, "namespace": "obs-tests"}, "traces": {"endpoint": receiver.url}},
        broken=True,
        extra_models={"slow_gold.py": SLOW_MODEL},
    )
    result = run_project(project)
    assert not result.success

    received = [(e["job"]["name"], e["eventType"]) for e in receiver.lineage]
    fail = received.index(("floe_obs.broken_gold", "FAIL"))
    slow_done = received.index(("floe_obs.slow_gold", "COMPLETE"))
    assert fail < slow_done, received
    assert received.count(("floe_obs.broken_gold", "FAIL")) == 1
    assert received.count(("floe_obs.broken_gold", "START")) == 1

    (event,) = receiver.events("floe_obs.broken_gold", "FAIL")
    validate_event(event)
    message = event["run"]["facets"]["errorMessage"]["message"]
    assert 'Referenced column "nope" not found' in message
    # the FAIL is timed by dbt's own finish of the node, before the slow model finished
    (slow,) = receiver.events("floe_obs.slow_gold", "COMPLETE")
    assert event["eventTime"] < slow["eventTime"]
    span = next(s for s in receiver.spans if s.name == "materialize broken_gold")
    assert span.status.code == 2 and "nope" in span.status.message
