"""A dead OTLP collector costs a run one bounded flush: one attempt, then no connection until the cool-down.

Real sockets on loopback: a collector that resets every connection, a tarpit that never answers, and a
child process that must exit while its collector hangs (the SDK's own exit hook waits up to 30 s).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator

import pytest
from floe_dagster.observability.settings import TraceSettings
from floe_dagster.observability.tracing.runtime import TracingRuntime


def _settings(endpoint: str, timeout: float, flush: float) -> TraceSettings:
    return TraceSettings(
        service_name="dead-collector-test",
        endpoint=endpoint,
        protocol="http/protobuf",
        timeout_seconds=timeout,
        flush_timeout_seconds=flush,
    )


def _spans(runtime: TracingRuntime, n: int) -> None:
    for i in range(n):
        runtime.tracer.start_span(f"materialize m{i}").end()


class _Listener:
    """Counts accepted connections; `reset` closes each at once, otherwise it is held open unanswered."""

    def __init__(self, reset: bool) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.reset = reset
        self.accepted = 0
        self.held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            if self.reset:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                conn.close()
            else:
                self.held.append(conn)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        for conn in self.held:
            conn.close()
        self.sock.close()


@pytest.fixture
def resetting() -> Iterator[_Listener]:
    listener = _Listener(reset=True)
    yield listener
    listener.close()


@pytest.fixture
def hanging() -> Iterator[_Listener]:
    listener = _Listener(reset=False)
    yield listener
    listener.close()


def test_refused_collector_gets_one_attempt_then_no_connection(resetting: _Listener) -> None:
    runtime = TracingRuntime(_settings(resetting.url, timeout=30, flush=10))
    exporter = runtime.exporter
    assert exporter is not None

    _spans(runtime, 5)
    runtime.flush()
    # One request: the OTLP exporter's own loop would retry a connection error with backoff until its
    # 30 s timeout (and re-send once at once before that).
    assert resetting.accepted == 1
    assert exporter.unhealthy and exporter.attempts == 1 and exporter.failed == 5

    _spans(runtime, 3)
    runtime.flush()  # skipped: the collector failed moments ago
    runtime.provider.force_flush()  # even an explicit export drops the batch without connecting
    assert resetting.accepted == 1
    assert exporter.attempts == 1 and exporter.failed == 8


def test_flush_returns_at_its_budget_while_the_collector_hangs(hanging: _Listener) -> None:
    runtime = TracingRuntime(_settings(hanging.url, timeout=120, flush=0.5))
    exporter = runtime.exporter
    assert exporter is not None

    _spans(runtime, 4)
    runtime.flush()
    # flush came back while the export is still waiting for an answer: nothing counted yet
    assert exporter.unhealthy
    assert exporter.failed == 0 and exporter.exported == 0
    assert hanging.accepted == 1

    _spans(runtime, 4)
    runtime.flush()  # no second wait, no second connection
    assert hanging.accepted == 1


def test_process_exits_while_its_collector_hangs(hanging: _Listener) -> None:
    """Spans queued at exit: floe's exit hook waits one flush budget (0.5 s); the SDK's would wait for the
    export, here an hour. The subprocess timeout only guards against that hang: it is no measurement."""
    child = textwrap.dedent(
        f"""
        from floe_dagster.observability.tracing.runtime import TracingRuntime
        from floe_dagster.observability.settings import TraceSettings

        runtime = TracingRuntime(TraceSettings("exit-test", {hanging.url!r}, "http/protobuf", 3600.0, 0.5))
        for i in range(3):
            runtime.tracer.start_span(f"s{{i}}").end()
        print("spans queued", flush=True)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "spans queued" in done.stdout
    assert "Traceback" not in done.stderr
