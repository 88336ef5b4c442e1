"""Lineage latency (SC-004): dbt events observed as dbt writes them, column lineage analysed while the model
runs, dbt test results sent as soon as a model's tests have all reported (not at the invocation's end)."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from floe_core.artifacts import ActiveTarget
from floe_dagster.observability.dbt_run.event_pump import DbtEventPump
from floe_dagster.observability.dbt_run.events import NodeEvent
from floe_dagster.observability.dbt_run.sql_prefetch import SqlPrefetch
from floe_dagster.observability.dbt_run.test_runs import DbtTestRuns
from floe_dagster.observability.lineage.datasets import DatasetFactory
from floe_dagster.observability.lineage.dbt_nodes import DbtColumn, DbtManifestView, DbtNode
from floe_dagster.observability.settings import LineageSettings
from floe_dagster.observability.telemetry import DagsterRun, Telemetry

NS = "duckdb:///w.duckdb"
TARGET = ActiveTarget(
    name="dev",
    type="duckdb",
    adapter_package="dbt-duckdb",
    lineage_namespace=NS,
    dataset_name_parts=("database", "schema", "table"),
    sql_dialect="duckdb",
)


def _node(uid: str, kind: str = "model", **extra: object) -> DbtNode:
    name = uid.rsplit(".", 1)[-1]
    fields: dict[str, object] = {
        "unique_id": uid,
        "resource_type": kind,
        "name": name,
        "package": "p",
        "database": "w",
        "schema": "main",
        "identifier": name,
        "description": None,
        "columns": (DbtColumn("id", "integer", None), DbtColumn("amount", "double", None)),
        "depends_on": (),
        "original_file_path": f"models/{name}.sql",
        "materialized": "table",
        "attached_node": None,
        "column_name": None,
        "test_name": None,
    }
    fields.update(extra)
    return DbtNode(**fields)  # type: ignore[arg-type]


# -- the pump ------------------------------------------------------------------------------------------
def test_pump_observes_events_before_the_step_pulls_them_and_keeps_their_order() -> None:
    seen: list[int] = []
    all_seen = threading.Event()

    def observe(event: int) -> None:
        seen.append(event)
        if len(seen) == 3:
            all_seen.set()

    pump = DbtEventPump(iter([1, 2, 3]), observe).start()
    # nobody iterates the pump yet (the step is busy with Dagster): dbt's events are observed anyway
    assert all_seen.wait(10), seen
    assert list(pump) == [1, 2, 3]


def test_pump_hands_the_stream_error_to_the_step_after_the_events() -> None:
    def failing() -> Iterator[str]:
        yield "a"
        raise RuntimeError("dbt exited with 1")

    pump = DbtEventPump(failing(), lambda _: None).start()
    got = []
    with pytest.raises(RuntimeError, match="dbt exited with 1"):
        for event in pump:
            got.append(event)
    assert got == ["a"]


def test_closed_pump_stops_observing_but_drains_the_stream() -> None:
    gate = threading.Event()
    drained = threading.Event()
    seen: list[int] = []

    def events() -> Iterator[int]:
        yield 1
        gate.wait(10)
        yield 2
        drained.set()

    pump = DbtEventPump(events(), seen.append).start()
    assert next(iter(pump)) == 1
    pump.close()
    gate.set()
    assert drained.wait(10)  # dbt's stdout is still read to the end, so dbt never blocks on a full pipe
    assert seen == [1]


# -- SQL prefetch --------------------------------------------------------------------------------------
SQL = "select a.id, a.amount * 2 as doubled from w.main.up a"


def _prefetch_setup(tmp_path: Path) -> tuple[DatasetFactory, DbtNode, DbtNode, Path]:
    datasets = DatasetFactory(TARGET, {})
    up = _node("model.p.up")
    model = _node("model.p.down", depends_on=("model.p.up",))
    return datasets, up, model, tmp_path / "compiled" / "p" / "models" / "down.sql"


def _write(path: Path, sql: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(sql, encoding="utf-8")


def test_prefetch_analyses_the_compiled_sql_while_the_model_runs(tmp_path: Path) -> None:
    datasets, up, model, path = _prefetch_setup(tmp_path)
    threads: list[str] = []

    def analyse(node: DbtNode, sql: str) -> object:
        threads.append(threading.current_thread().name)
        return datasets.column_lineage(sql, [up])

    prefetch = SqlPrefetch(tmp_path, datetime.now(UTC), analyse)  # type: ignore[arg-type]
    try:
        prefetch.want(model)
        _write(path, SQL)  # dbt compiles the model after it started
        deadline = time.monotonic() + 10
        while not threads and time.monotonic() < deadline:
            time.sleep(0.01)
        lineage = prefetch.take(model, SQL)
    finally:
        prefetch.stop()
    assert threads == ["floe-sql-prefetch"]
    assert lineage is not None
    assert {k: [(s.name, s.field, s.subtype) for s in v] for k, v in lineage.items()} == {
        "id": [("w.main.up", "id", "IDENTITY")],
        "doubled": [("w.main.up", "amount", "TRANSFORMATION")],
    }
    # what the COMPLETE then carries is what the direct analysis gives
    direct = datasets.output(model, SQL, [up])
    assert datasets.output(model, SQL, [up], lineage) == direct
    assert direct.facets is not None and "columnLineage" in direct.facets


def test_prefetch_ignores_an_earlier_invocations_file_and_changed_sql(tmp_path: Path) -> None:
    datasets, up, model, path = _prefetch_setup(tmp_path)
    _write(path, "select 1 as stale")
    old = time.time() - 60
    os.utime(path, (old, old))  # written by an earlier invocation into the same target path
    calls: list[str] = []

    def analyse(node: DbtNode, sql: str) -> object:
        calls.append(sql)
        return datasets.column_lineage(sql, [up])

    prefetch = SqlPrefetch(tmp_path, datetime.now(UTC), analyse)  # type: ignore[arg-type]
    try:
        prefetch.want(model)
        time.sleep(0.3)
        assert calls == []  # the stale file is never analysed
        assert prefetch.take(model, "select 1 as stale") is None
        prefetch.want(model)
        _write(path, SQL)
        deadline = time.monotonic() + 10
        while not calls and time.monotonic() < deadline:
            time.sleep(0.01)
        assert prefetch.take(model, SQL + " -- rewritten") is None  # not the SQL dbt ended up with
    finally:
        prefetch.stop()
    assert calls == [SQL]


# -- dbt test runs -------------------------------------------------------------------------------------
def _telemetry(tmp_path: Path) -> tuple[Telemetry, Path]:
    out = tmp_path / "events.jsonl"
    settings = LineageSettings(
        transport="file",
        namespace="ns",
        url=None,
        endpoint="api/v1/lineage",
        file_path=out,
        api_key=None,
        timeout_seconds=1,
        flush_timeout_seconds=5,
        queue_size=100,
    )
    return Telemetry(settings, None, "ns", "dev (duckdb)"), out


def _events(telemetry: Telemetry, out: Path) -> list[tuple[str, str]]:
    telemetry.flush()
    if not out.exists():
        return []
    return [(e["job"]["name"], e["eventType"]) for e in map(json.loads, out.read_text().splitlines())]


def _test_event(kind: str, uid: str, status: str | None = None) -> NodeEvent:
    now = datetime.now(UTC)
    return NodeEvent(kind, uid, "test", status, now, now if kind == "result" else None, None, None)  # type: ignore[arg-type]


def test_a_models_test_run_completes_once_all_its_tests_reported(tmp_path: Path) -> None:
    telemetry, out = _telemetry(tmp_path)
    a, b = _node("model.p.a"), _node("model.p.b")
    tests = {
        uid: _node(uid, "test", attached_node=attached, test_name=name, column_name="id")
        for uid, attached, name in [
            ("test.p.unique_a_id", "model.p.a", "unique"),
            ("test.p.not_null_a_id", "model.p.a", "not_null"),
            ("test.p.not_null_b_id", "model.p.b", "not_null"),
        ]
    }
    view = DbtManifestView(nodes={n.unique_id: n for n in [a, b, *tests.values()]}, adapter_type="duckdb")
    runs = DbtTestRuns(
        telemetry=telemetry,
        view=view,
        datasets=DatasetFactory(TARGET, {}),
        run=DagsterRun(run_id=str(uuid.uuid4()), job_name="job"),
        job_name=lambda n: f"{n.package}.{n.name}",
        asset_keys={},
    )
    runs.on_event(tests["test.p.unique_a_id"], _test_event("start", "test.p.unique_a_id"))
    runs.on_event(tests["test.p.not_null_a_id"], _test_event("start", "test.p.not_null_a_id"))
    assert _events(telemetry, out) == [("p.a.test", "START")]  # sent when the first test starts
    runs.on_event(tests["test.p.unique_a_id"], _test_event("result", "test.p.unique_a_id", "pass"))
    # the dbt.log tail and stdout may both report an errored test: it counts once
    runs.on_event(tests["test.p.unique_a_id"], _test_event("result", "test.p.unique_a_id", "error"))
    assert _events(telemetry, out) == [("p.a.test", "START")]
    runs.on_event(tests["test.p.not_null_a_id"], _test_event("result", "test.p.not_null_a_id", "fail"))
    # every test of model a reported: COMPLETE leaves now, while the invocation still runs
    assert _events(telemetry, out) == [("p.a.test", "START"), ("p.a.test", "COMPLETE")]
    complete = json.loads(out.read_text().splitlines()[-1])
    assertions = complete["inputs"][0]["inputFacets"]["dataQualityAssertions"]["assertions"]
    assert sorted((x["assertion"], x["success"]) for x in assertions) == [
        ("not_null", False),
        ("unique", True),
    ]

    runs.on_event(tests["test.p.not_null_b_id"], _test_event("start", "test.p.not_null_b_id"))
    runs.finish()  # b's test never reported (e.g. the invocation died): settled at the end, as FAIL
    assert _events(telemetry, out)[2:] == [("p.b.test", "START"), ("p.b.test", "FAIL")]


# -- sender lanes ----------------------------------------------------------------------------------------
class _Run:
    def __init__(self, run_id: str) -> None:
        self.runId = run_id


class _Event:
    def __init__(self, run_id: str, state: str) -> None:
        self.run = _Run(run_id)
        self.state = state


class _SlowReceiver:
    """A transport whose START posts take 0.2 s and others 0.02 s (a slow request overtaken by a quick one
    on another connection); records (arrival time, run, state) and how many requests overlapped."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[tuple[float, str, str]] = []
        self.in_flight = 0
        self.most_in_flight = 0

    def emit(self, event: _Event) -> None:
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        time.sleep(0.2 if event.state == "START" else 0.02)
        with self.lock:
            self.in_flight -= 1
            self.received.append((time.monotonic(), event.run.runId, event.state))


def test_a_burst_of_events_leaves_on_several_lanes_and_each_run_keeps_its_order() -> None:
    from floe_dagster.observability.lineage.emitter import LineageEmitter

    receiver = _SlowReceiver()
    emitter = LineageEmitter([receiver, receiver, receiver], "test", queue_size=100, flush_timeout=10)  # type: ignore[list-item]
    runs = [str(uuid.uuid4()) for _ in range(12)]
    for run in runs:  # each run's COMPLETE right behind its slow START: on another lane it would overtake
        emitter.emit(_Event(run, "START"))  # type: ignore[arg-type]
        emitter.emit(_Event(run, "COMPLETE"))  # type: ignore[arg-type]
    assert emitter.flush() is True
    assert receiver.most_in_flight > 1  # sent side by side, not one after another
    for run in runs:
        states = [state for _, r, state in sorted(receiver.received) if r == run]
        assert states == ["START", "COMPLETE"], run  # a run's events on one lane, in order
    emitter.close(1)
