"""Off-critical-path delivery of lineage events: bounded queues drained by a few daemon threads.

- Events go out on `lanes` sender threads, each with its own transport; all events of one OpenLineage run
  take the same lane, so a run's START still precedes its COMPLETE. dbt reports nodes in bursts (its
  threads finish and start models together): one sender sent such a burst one HTTP request after another,
  which was the rest of the latency tail once GC pauses were gone (bench/notes.md).

- `emit()` never blocks and never raises: when the queue is full the event is dropped and counted.
- A failing endpoint is reported by ONE warning per process, then events keep being tried (the
  endpoint may come back) but each costs at most one `timeout_seconds` on the worker thread, not on
  the materialization.
- `flush(deadline)` at the end of a step waits at most `flush_timeout_seconds`; once an endpoint has
  failed or timed out, flush stops waiting for it at all, so a dead backend delays a run once, by a
  bounded amount.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Sequence
from typing import Any

from openlineage.client.event_v2 import RunEvent
from openlineage.client.transport.transport import Transport

from floe_dagster.observability.logging import WarnOnce, get_logger

log = get_logger("floe.lineage")

_STOP = object()


class LineageEmitter:
    def __init__(
        self,
        transports: Sequence[Transport],
        target_label: str,
        queue_size: int,
        flush_timeout: float,
    ) -> None:
        """One sender lane per transport; `queue_size` bounds the events waiting, over all lanes."""
        self._label = target_label
        self._flush_timeout = flush_timeout
        per_lane = max(1, queue_size // len(transports))
        self._queues: list[queue.Queue[Any]] = [queue.Queue(maxsize=per_lane) for _ in transports]
        self._lock = threading.Lock()
        self._pending = 0
        self._idle = threading.Condition(self._lock)
        self.sent = 0
        self.dropped = 0
        self.failed = 0
        self._warn = WarnOnce(
            log, "openlineage endpoint unreachable; lineage events are dropped, the run continues"
        )
        self._unhealthy = False
        for lane, (transport, lane_queue) in enumerate(zip(transports, self._queues, strict=True)):
            threading.Thread(
                target=self._run,
                args=(transport, lane_queue),
                name=f"floe-lineage-emitter-{lane}",
                daemon=True,
            ).start()

    def emit(self, event: RunEvent) -> None:
        run_id = getattr(getattr(event, "run", None), "runId", None)
        lane = self._queues[hash(run_id) % len(self._queues)]
        with self._lock:
            try:
                lane.put_nowait(event)
            except queue.Full:
                self.dropped += 1
                return
            self._pending += 1

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued event was handled or the deadline passed; True when drained."""
        budget = self._flush_timeout if timeout is None else timeout
        deadline = time.monotonic() + budget
        with self._idle:
            while self._pending and not self._unhealthy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._mark_unhealthy(f"did not answer within {budget:g}s")
                    return False
                self._idle.wait(remaining)
            return self._pending == 0

    def close(self, timeout: float | None = None) -> None:
        self.flush(timeout)
        for lane in self._queues:
            with contextlib.suppress(queue.Full):
                lane.put_nowait(_STOP)

    def _run(self, transport: Transport, lane: queue.Queue[Any]) -> None:
        while True:
            item = lane.get()
            if item is _STOP:
                return
            try:
                transport.emit(item)
                with self._lock:
                    self.sent += 1
            except Exception as exc:  # any transport failure: never propagate, warn once
                with self._lock:
                    self.failed += 1
                    self._mark_unhealthy(_describe(exc))
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _mark_unhealthy(self, reason: str) -> None:
        """Caller holds the lock."""
        self._unhealthy = True
        self._warn(endpoint=self._label, reason=reason)


def _describe(exc: Exception) -> str:
    """Exception class and a short first line: HTTP libraries may echo URLs, never headers."""
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {first[:200]}"
