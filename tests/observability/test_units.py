"""Fast checks of settings resolution, the emitter's bounds and asset wrapping."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from dagster import AssetCheckResult, AssetKey, StaticPartitionsDefinition, asset, asset_check, materialize
from floe_core.spec.observability import LineageConfig, ObservabilityConfig, TracesConfig
from floe_dagster.observability.lineage.emitter import LineageEmitter
from floe_dagster.observability.python_assets import wrap_compute
from floe_dagster.observability.settings import resolve_lineage, resolve_traces


def test_lineage_settings_from_yaml_and_env() -> None:
    root = Path("/proj")
    assert resolve_lineage(LineageConfig(), "p", root, env={}) is None  # nowhere to send: off
    s = resolve_lineage(LineageConfig(), "p", root, env={"OPENLINEAGE_URL": "http://m:5000"})
    assert s is not None and (s.url, s.endpoint, s.namespace) == ("http://m:5000", "api/v1/lineage", "p")
    full = resolve_lineage(LineageConfig(url="http://m:5000/api/v1/lineage"), "p", root, env={})
    assert full is not None and (full.url, full.endpoint) == ("http://m:5000/", "api/v1/lineage")
    keyed_by_query = resolve_lineage(
        LineageConfig(), "p", root, env={"OPENLINEAGE_URL": "http://m:5000/api/v1/lineage?api_key=Qk3y"}
    )
    assert keyed_by_query is not None
    assert (keyed_by_query.url, keyed_by_query.endpoint) == ("http://m:5000/", "api/v1/lineage?api_key=Qk3y")
    assert "Qk3y" not in keyed_by_query.target_label
    host_only = resolve_lineage(LineageConfig(url="http://m:5000?api_key=Qk3y"), "p", root, env={})
    assert host_only is not None and host_only.endpoint == "api/v1/lineage?api_key=Qk3y"
    own_endpoint = resolve_lineage(
        LineageConfig(url="http://m:5000/x?k=1", endpoint="events"), "p", root, env={}
    )
    assert own_endpoint is not None and (own_endpoint.url, own_endpoint.endpoint) == (
        "http://m:5000/x",
        "events?k=1",
    )
    yaml_wins = resolve_lineage(
        LineageConfig(url="http://a:1", namespace="ns"), "p", root, env={"OPENLINEAGE_URL": "http://b:2"}
    )
    assert yaml_wins is not None and (yaml_wins.url, yaml_wins.namespace) == ("http://a:1", "ns")
    killed = resolve_lineage(LineageConfig(url="http://a:1"), "p", root, env={"OPENLINEAGE_DISABLED": "true"})
    assert killed is None
    keyed = resolve_lineage(LineageConfig(url="http://a:1"), "p", root, env={"OPENLINEAGE_API_KEY": "s3cret"})
    assert keyed is not None and keyed.api_key == "s3cret" and "s3cret" not in keyed.target_label


def test_trace_settings_from_yaml_and_env() -> None:
    cfg = ObservabilityConfig(attributes={"tenant": "acme"})
    s = resolve_traces(cfg, "p", env={})
    assert s is not None and s.endpoint is None and s.attributes == {"tenant": "acme"}
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}
    s = resolve_traces(cfg, "p", env=env)
    assert s is not None and (s.endpoint, s.protocol) == ("http://c:4317", "grpc")
    assert resolve_traces(cfg, "p", env={"OTEL_SDK_DISABLED": "true"}) is None
    assert resolve_traces(ObservabilityConfig(traces=TracesConfig(enabled=False)), "p", env={}) is None


class _SlowTransport:
    def __init__(self) -> None:
        self.release = threading.Event()
        self.seen: list[object] = []

    def emit(self, event: object) -> None:
        self.release.wait(10)
        self.seen.append(event)


def test_emitter_never_blocks_drops_when_full_and_flush_is_bounded() -> None:
    transport = _SlowTransport()
    emitter = LineageEmitter([transport], "test", queue_size=2, flush_timeout=0.3)  # type: ignore[list-item]
    for i in range(10):
        emitter.emit(i)  # type: ignore[arg-type]  # returns at once: the transport is still blocked
    assert transport.seen == []  # nothing delivered yet, so emit() never waited for the transport
    assert emitter.dropped >= 7  # one in flight, two queued, the rest dropped and counted
    assert emitter.flush() is False  # bounded: gives up after 0.3 s
    assert emitter.flush() is False  # and does not wait again for an endpoint known to be stuck
    transport.release.set()
    emitter.close(2)


def test_wrapping_preserves_the_asset_definition_and_runs_inside_the_hook() -> None:
    calls: list[str] = []
    parts = StaticPartitionsDefinition(["a", "b"])

    @asset(
        partitions_def=parts,
        metadata={"owner": "x"},
        group_name="g",
        deps=[AssetKey("up")],
        code_version="7",
        tags={"t": "1"},
    )
    def thing(context) -> int:  # type: ignore[no-untyped-def]
        calls.append(f"body {context.partition_key}")
        return 1

    @asset_check(asset=thing)
    def thing_check() -> AssetCheckResult:
        return AssetCheckResult(passed=True)

    from contextlib import contextmanager

    @contextmanager
    def around() -> Any:
        calls.append("before")
        yield
        calls.append("after")

    wrapped = wrap_compute(thing, around)
    spec, new = thing.specs, wrapped.specs
    assert [(s.key, s.group_name, s.metadata, s.code_version, s.tags, s.deps) for s in spec] == [
        (s.key, s.group_name, s.metadata, s.code_version, s.tags, s.deps) for s in new
    ]
    assert wrapped.partitions_def == parts
    result = materialize([wrapped, thing_check], partition_key="b", selection=[thing.key])
    assert result.success
    assert calls == ["before", "body b", "after"]


def test_a_query_string_on_the_lineage_url_reaches_the_endpoint() -> None:
    """OPENLINEAGE_URL=.../api/v1/lineage?api_key=... : the key is how some backends authenticate (issue 16.4)."""
    import uuid
    from datetime import UTC, datetime
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from floe_dagster.observability.lineage.transports import build_transport
    from openlineage.client.event_v2 import Job, Run, RunEvent, RunState

    paths: list[str] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            paths.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/api/v1/lineage?api_key=Qk3y"
        settings = resolve_lineage(LineageConfig(), "p", Path("/proj"), env={"OPENLINEAGE_URL": url})
        assert settings is not None
        event = RunEvent(
            eventType=RunState.START,
            eventTime=datetime.now(UTC).isoformat(),
            run=Run(runId=str(uuid.uuid4())),
            job=Job(namespace="p", name="j"),
            producer="https://example.com/floe",
        )
        build_transport(settings).emit(event)
    finally:
        server.shutdown()
    assert paths == ["/api/v1/lineage?api_key=Qk3y"]
