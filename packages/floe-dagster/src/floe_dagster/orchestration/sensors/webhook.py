"""POSTing a run's outcome to a webhook: bounded by a timeout, a failure logged and never raised."""

from __future__ import annotations

import json
import urllib.request
from typing import Any


def notify(url: str, timeout: float, payload: dict[str, Any], context: Any) -> bool:
    """POST `payload` as JSON; bounded by `timeout`; a failure is logged, never raised."""
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(1024)
        return True
    except Exception as exc:  # any network/HTTP failure: the sensor keeps working
        context.log.warning(f"webhook {url} failed ({type(exc).__name__}: {exc}); run {payload['run_id']}")
        return False
