"""The floe.yaml shown in README.md is valid and serves two environments by env vars alone."""

from __future__ import annotations

import re
from pathlib import Path

from floe_core.loader import parse_spec

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_floe_yaml() -> str:
    match = re.search(r"## floe.yaml in one screen\n\n```yaml\n(.*?)```", README.read_text(), re.S)
    assert match, "README lost its floe.yaml example"
    return match.group(1)


def test_readme_example_is_valid_for_dev_and_prod() -> None:
    text = _readme_floe_yaml()
    dev = parse_spec(text, env={})
    prod = parse_spec(text, env={"FLOE_TARGET": "prod", "SCHEDULES_ON": "false"})
    assert dev.compute.default == "dev"
    assert prod.compute.default == "prod"
    assert dev.orchestration.schedules["nightly"].enabled is True
    assert prod.orchestration.schedules["nightly"].enabled is False


def test_readme_lineage_settings_post_events_to_the_lineage_api(tmp_path: Path) -> None:
    """The README's `observability.lineage` with OPENLINEAGE_URL set, run for real: an event floe emits
    arrives at the backend's lineage API (/api/v1/lineage), in the README's namespace. Its earlier form,
    `endpoint: ${OPENLINEAGE_URL:}`, sent events to the backend's root: now a validation error (issue 15)."""
    import json
    import threading
    import uuid
    from datetime import UTC, datetime
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import pytest
    from floe_core.errors import FloeValidationError
    from floe_dagster.observability.lineage.transports import build_transport
    from floe_dagster.observability.settings import resolve_lineage
    from openlineage.client.event_v2 import Job, Run, RunEvent, RunState

    received: list[tuple[str, dict[str, object]]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append((self.path, json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    backend = f"http://127.0.0.1:{server.server_port}"
    text = _readme_floe_yaml()
    try:
        spec = parse_spec(text, env={"OPENLINEAGE_URL": backend})
        settings = resolve_lineage(spec.observability.lineage, spec.name, tmp_path, env={})
        assert settings is not None
        event = RunEvent(
            eventType=RunState.START,
            eventTime=datetime.now(UTC).isoformat(),
            run=Run(runId=str(uuid.uuid4())),
            job=Job(namespace=settings.namespace, name="stg_orders"),
            producer="https://example.com/floe",
        )
        build_transport(settings).emit(event)
    finally:
        server.shutdown()
    assert [(path, body["job"]) for path, body in received] == [  # type: ignore[index]
        ("/api/v1/lineage", {"namespace": "shop", "name": "stg_orders", "facets": {}})
    ]

    old_form = text.replace("lineage: {url: ${OPENLINEAGE_URL:}", "lineage: {endpoint: ${OPENLINEAGE_URL:}")
    assert old_form != text
    with pytest.raises(FloeValidationError) as caught:
        parse_spec(old_form, env={"OPENLINEAGE_URL": backend})
    assert "observability.lineage.endpoint: lineage.endpoint is the path appended to lineage.url" in str(
        caught.value
    )
