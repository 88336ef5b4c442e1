"""URLs as floe shows them: in a log line, a sensor's tick message or an error, a URL may carry a secret in
its user info (`https://user:pass@host`) or its query (`?token=...`, `?api_key=...`), so it is shown as
scheme, host, port and path only."""

from __future__ import annotations

from urllib.parse import urlsplit

# `dagster dev`'s webserver: where floe's commands and the workflow API look for Dagster unless told
DEFAULT_DAGSTER_URL = "http://127.0.0.1:3000"


def display_url(url: str) -> str:
    """`https://hooks.example.com:8443/services/T0` for `https://u:p@hooks.example.com:8443/services/T0?token=x`."""
    try:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # an unparsable port: show nothing that could be a secret
        return "<unparsable url>"
    if not parts.scheme or not parts.hostname:
        return "<url>"
    hidden = " (query hidden)" if parts.query else ""
    return f"{parts.scheme}://{parts.hostname}{port}{parts.path}{hidden}"
