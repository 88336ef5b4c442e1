"""dbt's structured (--log-format json) events, reduced to what per-model observability needs.

At dbt's default log level a node's life is LogStartLine (start) -> Log*Result (finish, with status)
and, for errors, RunResultError (the message, in the end-of-run summary). NodeStart/NodeFinished appear
at debug level and are understood too (NodeFinished carries the error message right away).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

_START = {"LogStartLine", "NodeStart"}
_RESULT = {"LogModelResult", "LogSeedResult", "LogSnapshotResult", "LogTestResult", "NodeFinished"}
_ERROR = {"RunResultError"}
SUCCESS = {"success", "ok", "pass", "warn"}


@dataclass(frozen=True)
class NodeEvent:
    kind: Literal["start", "result", "error"]
    unique_id: str
    resource_type: str
    status: str | None
    started_at: datetime | None
    finished_at: datetime | None
    message: str | None
    attached_node: str | None  # tests: the node they test

    @property
    def succeeded(self) -> bool:
        return (self.status or "") in SUCCESS


def parse_event(raw: Mapping[str, Any]) -> NodeEvent | None:
    info = raw.get("info") or {}
    name = info.get("name")
    data = raw.get("data") or {}
    node = data.get("node_info") or {}
    uid = node.get("unique_id")
    if not uid or name not in _START | _RESULT | _ERROR:
        return None
    kind: Literal["start", "result", "error"] = (
        "start" if name in _START else "result" if name in _RESULT else "error"
    )
    run_result = data.get("run_result") or {}
    status = (
        node.get("node_status") if node.get("node_status") not in (None, "", "None") else data.get("status")
    )
    message = data.get("msg") if kind == "error" else run_result.get("message")
    if kind == "result" and str(status).lower() not in ("error", "fail"):
        message = None  # a success's run_result message is e.g. "OK", not an error
    return NodeEvent(
        kind=kind,
        unique_id=uid,
        resource_type=str(node.get("resource_type", "")),
        status=str(status).lower() if status else None,
        started_at=parse_dbt_timestamp(node.get("node_started_at")),
        finished_at=parse_dbt_timestamp(node.get("node_finished_at"))
        or (parse_dbt_timestamp(info.get("ts")) if kind == "result" else None),
        message=message,
        attached_node=data.get("attached_node"),
    )


def parse_dbt_timestamp(value: object) -> datetime | None:
    """dbt writes naive UTC timestamps (and "" for unknown)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
