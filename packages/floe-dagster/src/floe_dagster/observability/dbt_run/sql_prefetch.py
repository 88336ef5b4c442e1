"""Analyse a model's compiled SQL (column lineage, sqlglot) while dbt still runs the model (SC-004).

Column lineage is the one heavy part of a model's COMPLETE event (tens of milliseconds, more under GIL
contention with the step thread). dbt writes a node's compiled SQL before it executes it, so once a
model has started, a worker thread waits for that file, analyses it, and keeps the result; when the
model's result arrives, `take()` hands it over if the SQL is still the same, and the COMPLETE leaves at
once. A model that finishes before its analysis is ready simply waits for it (no duplicate work); one
whose file never appears is analysed by the caller, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from floe_dagster.observability.lineage.column_lineage import ColumnSource
from floe_dagster.observability.lineage.dbt_nodes import DbtNode, compiled_sql_path

Lineage = Mapping[str, Sequence[ColumnSource]]

_POLL_SECONDS = 0.02
_WAIT_SECONDS = 2.0  # upper bound for take() on an analysis in progress; then the caller does it


@dataclass
class _Analysis:
    sql: str
    ready: threading.Event = field(default_factory=threading.Event)
    result: Lineage | None = None


class SqlPrefetch:
    def __init__(
        self, target_path: Path, not_before: datetime, analyse: Callable[[DbtNode, str], Lineage]
    ) -> None:
        self._target_path = target_path
        # dbt reuses a fixed target path: an older invocation's compiled file is not this model's SQL
        self._not_before = not_before.timestamp()
        self._analyse = analyse
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._pending: dict[str, DbtNode] = {}
        self._analyses: dict[str, _Analysis] = {}
        self._stopped = False
        self._thread: threading.Thread | None = None

    def want(self, node: DbtNode) -> None:
        """The model started: analyse its compiled SQL as soon as dbt has written it."""
        with self._lock:
            if self._stopped:
                return
            self._pending[node.unique_id] = node
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="floe-sql-prefetch", daemon=True)
                self._thread.start()
            self._wake.notify()

    def take(self, node: DbtNode, sql: str) -> Lineage | None:
        """The prefetched lineage of exactly this SQL, or None (the caller analyses it)."""
        with self._lock:
            self._pending.pop(node.unique_id, None)
            analysis = self._analyses.pop(node.unique_id, None)
        if analysis is None or analysis.sql != sql or not analysis.ready.wait(_WAIT_SECONDS):
            return None
        return analysis.result

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            self._pending.clear()
            self._analyses.clear()
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._stopped and not self._pending:
                    self._wake.wait()
                if self._stopped:
                    return
                nodes = list(self._pending.values())
            for node in nodes:
                self._try(node)
            with self._lock:
                if self._pending and not self._stopped:
                    self._wake.wait(_POLL_SECONDS)  # compiled files not written yet: look again shortly

    def _try(self, node: DbtNode) -> None:
        path = compiled_sql_path(self._target_path, node)
        try:
            if path.stat().st_mtime < self._not_before:
                return
            sql = path.read_text(encoding="utf-8")
        except OSError:
            return
        analysis = _Analysis(sql)
        with self._lock:
            if self._pending.pop(node.unique_id, None) is None:
                return  # the result arrived meanwhile: the caller analyses it
            self._analyses[node.unique_id] = analysis
        try:
            analysis.result = self._analyse(node, sql)
        except Exception:  # the caller analyses it again and handles the failure as before
            analysis.result = None
        finally:
            analysis.ready.set()
