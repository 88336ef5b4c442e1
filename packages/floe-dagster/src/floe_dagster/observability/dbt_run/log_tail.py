"""Follow dbt's JSON file log during an invocation, so a failed model's FAIL leaves within a second (SC-004).

At dbt's default (info) console level the text of a model's error only reaches stdout in the end-of-run
summary (`RunResultError`), possibly hours after the model failed. dbt's *file* log, however, is written
at debug level and, because dagster-dbt sets `DBT_LOG_FORMAT=json` (which the file format follows), as
JSON lines into `DBT_LOG_PATH/dbt.log` = the invocation's target path. Its `NodeFinished` event carries
`run_result.message` the moment the node finishes. Tailing that file keeps Dagster's compute logs at info
while lineage learns of failures at once. When the file is absent (e.g. `DBT_LOG_LEVEL_FILE=none`) the
tail finds nothing and the run-summary path still settles the FAIL, only later.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from floe_dagster.observability.dbt_run.events import parse_dbt_timestamp
from floe_dagster.observability.logging import get_logger

log = get_logger("floe.dbt")

# Only these events matter; checking the raw bytes first avoids parsing every debug line (SQL, cache...).
_WANTED = (b'"NodeFinished"',)


class DbtLogTail:
    """A daemon thread reading appended lines of one dbt.log and handing wanted events to `on_event`."""

    def __init__(
        self,
        path: Path,
        on_event: Callable[[Mapping[str, Any]], None],
        not_before: datetime,
        poll_seconds: float = 0.05,
    ) -> None:
        self.path = path
        self._on_event = on_event
        # A fixed --target-path reuses dbt.log across invocations: skip lines an earlier invocation wrote.
        self._not_before = not_before
        self._poll = poll_seconds
        self._stop = threading.Event()
        self._file: IO[bytes] | None = None
        self._partial = b""
        self.delivered = 0
        self._thread = threading.Thread(target=self._run, name="floe-dbt-log-tail", daemon=True)

    def start(self) -> DbtLogTail:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Read what dbt wrote up to now (the process has exited), then end the thread."""
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._read_available()
                self._stop.wait(self._poll)
            self._read_available()  # the final lines dbt wrote before exiting
        except Exception as exc:  # observability never breaks a run
            log.warning("dbt log tail stopped", path=str(self.path), error=f"{type(exc).__name__}: {exc}")
        finally:
            if self._file is not None:
                self._file.close()

    def _read_available(self) -> None:
        while True:
            if self._file is None and not self._open():
                return
            assert self._file is not None
            chunk = self._file.read()
            if chunk:
                self._consume(chunk)
                continue
            if not self._rotated():
                return
            # dbt rolled dbt.log over (10 MB by default): the old file is drained, follow the new one
            self._file.close()
            self._file = None
            self._partial = b""

    def _open(self) -> bool:
        try:
            self._file = self.path.open("rb")
        except FileNotFoundError:
            return False
        return True

    def _rotated(self) -> bool:
        assert self._file is not None
        try:
            return self.path.stat().st_ino != os.fstat(self._file.fileno()).st_ino
        except FileNotFoundError:
            return False

    def _consume(self, chunk: bytes) -> None:
        data = self._partial + chunk
        *lines, self._partial = data.split(b"\n")  # the last piece may be a line still being written
        for line in lines:
            if not any(marker in line for marker in _WANTED):
                continue
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and self._is_current(event):
                self.delivered += 1
                self._on_event(event)

    def _is_current(self, event: Mapping[str, Any]) -> bool:
        stamp = parse_dbt_timestamp((event.get("info") or {}).get("ts"))
        return stamp is None or stamp >= self._not_before
