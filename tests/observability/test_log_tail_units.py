"""The dbt.log tail (partial lines, rotation, stale lines of an earlier invocation) and the run-span cursor."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from floe_dagster.observability.dbt_run.log_tail import DbtLogTail
from floe_dagster.observability.tracing.run_sensor import LOOKBACK_SECONDS, Cursor, _advance


def _line(name: str, uid: str, when: datetime) -> bytes:
    event = {
        "info": {"name": name, "ts": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")},
        "data": {"node_info": {"unique_id": uid}},
    }
    return json.dumps(event).encode() + b"\n"


class _Collector:
    def __init__(self) -> None:
        self.uids: list[str] = []
        self.changed = threading.Condition()

    def __call__(self, event: Any) -> None:
        with self.changed:
            self.uids.append(event["data"]["node_info"]["unique_id"])
            self.changed.notify_all()

    def wait_for(self, count: int) -> list[str]:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.uids) >= count, timeout=10), self.uids
            return list(self.uids)


def test_tail_delivers_node_finished_lines_as_they_are_written(tmp_path: Path) -> None:
    log = tmp_path / "dbt.log"
    now = datetime.now(UTC)
    seen = _Collector()
    # a line from an earlier invocation sharing the target path must not be replayed
    log.write_bytes(_line("NodeFinished", "model.p.old", now - timedelta(minutes=5)))
    tail = DbtLogTail(log, seen, not_before=now, poll_seconds=0.01).start()
    try:
        with log.open("ab") as f:
            f.write(_line("NodeStart", "model.p.a", now))  # not a wanted event
            whole = _line("NodeFinished", "model.p.a", now)
            f.write(whole[:20])  # dbt is mid-write: nothing is delivered from half a line
            f.flush()
            f.write(whole[20:])
            f.flush()
        assert seen.wait_for(1) == ["model.p.a"]
        # dbt rolls dbt.log over: the tail drains the old file and follows the new one
        log.rename(tmp_path / "dbt.log.1")
        log.write_bytes(_line("NodeFinished", "model.p.b", now))
        assert seen.wait_for(2) == ["model.p.a", "model.p.b"]
        with log.open("ab") as f:
            f.write(_line("NodeFinished", "model.p.c", now))
    finally:
        tail.stop()
    assert seen.uids == ["model.p.a", "model.p.b", "model.p.c"]  # stop() drains the final lines


def test_tail_of_a_missing_log_delivers_nothing_and_stops(tmp_path: Path) -> None:
    seen = _Collector()
    tail = DbtLogTail(tmp_path / "absent" / "dbt.log", seen, not_before=datetime.now(UTC)).start()
    tail.stop()
    assert seen.uids == [] and tail.delivered == 0


def test_run_span_cursor_round_trip_and_advance() -> None:
    fresh = Cursor.parse(None, now=10_000.0)
    assert fresh.mark == 10_000.0 - LOOKBACK_SECONDS and not fresh.recent
    assert Cursor.parse("not json", now=5.0).mark == 5.0 - LOOKBACK_SECONDS
    moved = _advance(Cursor(100.0, frozenset()), [("a", 150.0), ("b", 148.0), ("c", 120.0)])
    assert moved.mark == 150.0 and moved.recent == {"a", "b"}
    assert Cursor.parse(moved.dump(), now=0.0) == moved
