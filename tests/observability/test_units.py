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
