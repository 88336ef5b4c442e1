"""openlineage-python transports (HTTP, console, file) built from resolved settings, never from global config.

The client's own config discovery (openlineage.yml, OPENLINEAGE_CONFIG) is bypassed on purpose: floe.yaml
is the single source of truth, and a stray config file must not make a standalone run open connections.
"""

from __future__ import annotations

from openlineage.client.transport.console import ConsoleConfig, ConsoleTransport
from openlineage.client.transport.file import FileConfig, FileTransport
from openlineage.client.transport.http import HttpConfig, HttpTransport
from openlineage.client.transport.transport import Transport

from floe_dagster.observability.settings import LineageSettings


def build_transport(settings: LineageSettings) -> Transport:
    if settings.transport == "console":
        return ConsoleTransport(ConsoleConfig())
    if settings.transport == "file":
        assert settings.file_path is not None  # resolve_lineage guarantees it
        settings.file_path.parent.mkdir(parents=True, exist_ok=True)
        return FileTransport(FileConfig(log_file_path=str(settings.file_path), append=True))
    assert settings.url is not None
    params: dict[str, object] = {
        "url": settings.url,
        "endpoint": settings.endpoint,
        "timeout": settings.timeout_seconds,
        # One attempt per event: the background worker owns retry policy (drop + count), so a dead
        # endpoint costs one timeout, not urllib3's five retries with backoff.
        "retry": {"total": 0, "connect": 0, "read": 0, "status": 0, "redirect": 0},
    }
    if settings.api_key:
        params["auth"] = {"type": "api_key", "apiKey": settings.api_key}
    return HttpTransport(HttpConfig.from_dict(params))
