"""POSTing a run's outcome to a webhook: bounded by a timeout, a failure logged and never raised.

Bounded per tick too: a run-status sensor reacts to every run of its tick one after another, so an endpoint
that is down would cost its full timeout per run. After a failure, POSTs to the same URL are skipped for
`cooldown` seconds (each skip is said once in the tick's log, with the run it concerned), so one tick costs at
most one timeout per URL. URLs appear only as floe_core.urls.display_url shows them: no query, no user info.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

from floe_core.urls import display_url

DEFAULT_COOLDOWN_SECONDS = 60.0


@dataclass(frozen=True)
class Delivery:
    delivered: bool
    detail: str  # for the tick message: "delivered", "failed (TimeoutError)", "skipped: ... failed at ..."

    def describe(self, url: str) -> str:
        return f"webhook {display_url(url)} {self.detail}"


class _Breaker:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open_until: dict[str, float] = {}

    def is_open(self, url: str) -> bool:
        with self._lock:
            return self._open_until.get(url, 0.0) > time.monotonic()

    def trip(self, url: str, seconds: float) -> None:
        with self._lock:
            self._open_until[url] = time.monotonic() + seconds

    def reset(self, url: str) -> None:
        with self._lock:
            self._open_until.pop(url, None)


_breaker = _Breaker()


def notify(
    url: str,
    timeout: float,
    payload: dict[str, Any],
    context: Any,
    cooldown: float = DEFAULT_COOLDOWN_SECONDS,
) -> Delivery:
    """POST `payload` as JSON; bounded by `timeout`; a failure is logged, never raised."""
    shown = display_url(url)
    if _breaker.is_open(url):
        context.log.warning(
            f"webhook {shown} skipped for run {payload['run_id']}: it failed less than {cooldown:g}s ago"
        )
        return Delivery(False, f"skipped: it failed less than {cooldown:g}s ago")
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(1024)
    except Exception as exc:  # any network/HTTP failure: the sensor keeps working
        _breaker.trip(url, cooldown)
        # the exception's text may repeat the URL (urllib does): only its type is shown
        context.log.warning(f"webhook {shown} failed ({type(exc).__name__}); run {payload['run_id']}")
        return Delivery(False, f"failed ({type(exc).__name__})")
    _breaker.reset(url)
    return Delivery(True, "delivered")
