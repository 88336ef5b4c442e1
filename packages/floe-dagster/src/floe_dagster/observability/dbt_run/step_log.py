"""Log lines written on floe's own threads, replayed on the step's thread so Dagster captures them.

Dagster attaches its handler to the managed python loggers (e.g. `floe`) only while the step's code
runs, i.e. during each `next()` of the asset's generator. The dbt event pump and the dbt.log tail log
from their own threads, mostly while the step's thread is inside Dagster handling an event, so their
lines would miss the run's event log. They are queued here and written by the step's thread instead.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Literal

Level = Literal["info", "warning"]


class StepLog:
    def __init__(self, logger: Any) -> None:
        self._logger = logger
        self._pending: deque[tuple[Level, str, dict[str, Any]]] = deque()  # append/popleft are atomic

    def info(self, event: str, **fields: Any) -> None:
        self._pending.append(("info", event, fields))

    def warning(self, event: str, **fields: Any) -> None:
        self._pending.append(("warning", event, fields))

    def replay(self) -> None:
        """On the step's thread: write what was logged so far."""
        while self._pending:
            level, event, fields = self._pending.popleft()
            getattr(self._logger, level)(event, **fields)
