"""A circuit breaker for the orchestrator: after `threshold` consecutive failures it opens for `cooldown`
seconds (calls fail at once, so a dead Dagster costs the API nothing), then lets one call through (half-open):
success closes it, failure opens it again."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class CircuitOpen(Exception):
    pass


class CircuitBreaker:
    def __init__(
        self, threshold: int = 3, cooldown: float = 10.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        with self._lock:
            if self._opened_at is None:
                return "closed"
            return "half-open" if self._clock() - self._opened_at >= self.cooldown else "open"

    def before(self) -> None:
        """Raise CircuitOpen while open; after the cooldown let calls through (half-open)."""
        if self.state == "open":
            raise CircuitOpen(
                f"the orchestrator failed {self._failures} times; retrying in {self.cooldown:g}s"
            )

    def success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None

    def failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._failures >= self.threshold:
                self._opened_at = self._clock()
