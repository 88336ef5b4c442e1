"""Read dbt's stdout on a thread of its own, so lineage sees each dbt event when dbt writes it (SC-004).

dagster-dbt's `stream_raw_events()` is pull-driven: the next stdout line is read only after Dagster has
handled the Dagster events of the previous one (type checks, event-log writes, ...). On a busy step that
handling is slower than dbt, so in the step's thread lineage learned of a node's start or finish
seconds late, the lag growing over the run. The pump reads every event as dbt writes it, lets `observe`
see it at once, and queues it for the step, which yields Dagster's events in order at its own pace. The
queue is unbounded on purpose: a bound would put the lag back (dbt events are small).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

E = TypeVar("E")

_POLL_SECONDS = 0.2  # the step thread wakes this often while waiting, so signals (interrupts) are seen


class DbtEventPump(Generic[E]):
    def __init__(self, events: Iterator[E], observe: Callable[[E], None]) -> None:
        self._events = events
        self._observe = observe
        # Items are ("event", E), ("error", BaseException) or ("end", None), in dbt's order.
        self._queue: queue.SimpleQueue[tuple[str, object]] = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()  # close() waits for an observation in progress
        self._thread = threading.Thread(target=self._run, name="floe-dbt-events", daemon=True)

    def start(self) -> DbtEventPump[E]:
        self._thread.start()
        return self

    def __iter__(self) -> Iterator[E]:
        """dbt's events in order; re-raises what the underlying stream raised (e.g. dbt's failure)."""
        while True:
            try:
                kind, item = self._queue.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                continue
            if kind == "event":
                yield item  # type: ignore[misc]
            elif kind == "error":
                assert isinstance(item, BaseException)
                raise item
            else:
                return

    def close(self) -> None:
        """Stop observing (the step is over); the thread keeps draining stdout so dbt never blocks."""
        with self._lock:
            self._closed = True

    def _run(self) -> None:
        try:
            for event in self._events:
                with self._lock:
                    if self._closed:
                        continue
                    self._observe(event)
                self._queue.put(("event", event))
        except BaseException as exc:  # handed to the step's thread, which raises it where it always did
            self._queue.put(("error", exc))
        else:
            self._queue.put(("end", None))
