"""Standalone mode connects nowhere; dead endpoints (refused, or a tarpit) never fail or stall a run."""

from __future__ import annotations

import json
import logging
import socket
from typing import Any

import pytest

pytestmark = pytest.mark.slow


def _warnings(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    out = []
    for r in caplog.records:
        if r.name.startswith("floe") and r.levelno == logging.WARNING:
            out.append(json.loads(r.getMessage()))
    return out


def test_no_endpoint_means_no_network_connection_at_all(
    project_factory: Any, run_project: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = project_factory({"attributes": {"tenant": "acme"}})
    attempts: list[object] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def record_connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            attempts.append(address)
        return real_connect(self, address)

    def record_connect_ex(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            attempts.append(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", record_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", record_connect_ex)
    result = run_project(project)
    assert result.success
    assert attempts == []


def test_tarpit_lineage_and_refused_otlp_neither_fail_nor_stall_the_run(
    project_factory: Any, run_project: Any, tarpit: str, closed_port: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    project = project_factory(
        {
            "lineage": {"url": tarpit, "timeout_seconds": 20, "flush_timeout_seconds": 1},
            "traces": {"endpoint": closed_port, "timeout_seconds": 20, "flush_timeout_seconds": 1},
        }
    )
    result = run_project(project)
    assert result.success
    warnings = _warnings(caplog)
    lineage = [w for w in warnings if w["event"].startswith("openlineage endpoint unreachable")]
    traces = [w for w in warnings if w["event"].startswith("otlp trace endpoint unreachable")]
    assert len(lineage) == 1, warnings
    assert len(traces) == 1, warnings
    assert tarpit.removeprefix("http://") in lineage[0]["endpoint"]
    # >= 12 lineage events, each worth a 20 s timeout: the step gave up waiting at its 1 s flush budget
    # (and, the endpoint known dead, never waited for it again)
    assert lineage[0]["reason"] == "did not answer within 1s", lineage
    assert closed_port.removeprefix("http://") in traces[0]["endpoint"]
    assert all(w["event"] != "observability step failed; the run continues" for w in warnings)


def test_refused_lineage_and_tarpit_otlp_with_python_assets(
    project_factory: Any, run_project: Any, tarpit: str, closed_port: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Python assets only (no dbt): the same guarantees on the wrapper path."""
    caplog.set_level(logging.WARNING)
    project = project_factory(
        {
            "lineage": {"url": closed_port, "timeout_seconds": 20, "flush_timeout_seconds": 1},
            "traces": {"endpoint": tarpit, "timeout_seconds": 20, "flush_timeout_seconds": 1},
        }
    )
    result = run_project(project, python_only=True)
    assert result.success
    warnings = _warnings(caplog)
    assert len([w for w in warnings if w["event"].startswith("openlineage endpoint unreachable")]) == 1
    assert len([w for w in warnings if w["event"].startswith("otlp trace endpoint unreachable")]) == 1
