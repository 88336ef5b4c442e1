"""OTLP over gRPC (FR-020): a real run exports its spans to a real loopback gRPC TraceService."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.slow


def test_spans_are_exported_over_grpc(
    project_factory: Any, run_project: Any, receiver: Any, grpc_receiver: Any
) -> None:
    project = project_factory(
        {
            "lineage": {"url": receiver.url},
            "traces": {"endpoint": grpc_receiver.url, "protocol": "grpc", "service_name": "shop-grpc"},
            "attributes": {"tenant": "acme"},
        }
    )
    result = run_project(project)
    assert result.success

    names = sorted(s.name for s in grpc_receiver.spans)
    assert names == [
        "materialize customer_orders",
        "materialize raw_customers",
        "materialize raw_orders",
        "materialize stg_customers",
        "materialize stg_orders",
    ]
    assert receiver.spans == []  # nothing went to the HTTP receiver: the protocol was honoured
    for span in grpc_receiver.spans:
        assert span.trace_id.hex() == result.run_id.replace("-", "")
        attrs = {a.key: a.value.string_value for a in span.attributes}
        assert attrs["tenant"] == "acme"
        assert attrs["dagster.run_id"] == result.run_id
        # the same ids as the lineage run of the materialization
        event = next(e for e in receiver.lineage if e["run"]["runId"] == attrs["openlineage.run_id"])
        tags = {t["key"]: t["value"] for t in event["run"]["facets"]["tags"]["tags"]}
        assert tags["span_id"] == span.span_id.hex()
    assert {"service.name": "shop-grpc", "tenant": "acme"}.items() <= grpc_receiver.resources[0].items()
