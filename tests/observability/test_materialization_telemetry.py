"""End to end: a real Dagster run of Python + dbt assets through loopback OpenLineage and OTLP receivers."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

pytestmark = pytest.mark.slow

MODELS = ["floe_obs.stg_customers", "floe_obs.stg_orders", "floe_obs.customer_orders"]
BRONZE = ["raw_customers", "raw_orders"]


def _obs(receiver: Any) -> dict[str, Any]:
    return {
        "lineage": {"url": receiver.url, "namespace": "obs-tests"},
        "traces": {"endpoint": receiver.url},
        "attributes": {"tenant": "acme", "env": "test"},
    }


def _floe_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    lines = []
    for record in caplog.records:
        if record.name.startswith("floe"):
            try:
                lines.append(json.loads(record.getMessage()))
            except ValueError:
                continue
    return lines


def test_every_materialization_has_lineage_and_a_span(  # noqa: PLR0915 - one run, many facts
    project_factory: Any,
    run_project: Any,
    receiver: Any,
    validate_event: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    project = project_factory(_obs(receiver))
    result = run_project(project)
    assert result.success

    # START + COMPLETE for every dbt model and every bronze asset, and nothing failed
    for job in MODELS + BRONZE:
        assert len(receiver.events(job, "START")) == 1, job
        assert len(receiver.events(job, "COMPLETE")) == 1, job
    assert not receiver.events(state="FAIL")
    assert sum(validate_event(e) for e in receiver.lineage) > 0  # every event and facet is schema-valid

    ns = f"duckdb://{project.duckdb_path}"
    raw = "warehouse.bronze.raw_customers"
    # bronze output == silver input: lineage connects Python -> dbt -> dbt (SC-003)
    bronze_out = receiver.events("raw_customers", "COMPLETE")[0]["outputs"]
    assert [(o["namespace"], o["name"]) for o in bronze_out] == [(ns, raw)]
    stg = receiver.events("floe_obs.stg_customers", "COMPLETE")[0]
    assert [(i["namespace"], i["name"]) for i in stg["inputs"]] == [(ns, raw)]
    out = stg["outputs"][0]
    assert out["name"] == "warehouse.main.stg_customers"
    assert [(f["name"], f["type"]) for f in out["facets"]["schema"]["fields"]] == [
        ("customer_id", "integer"),
        ("name", "varchar"),
        ("email", "varchar"),
    ]
    assert out["facets"]["tags"]["tags"] == [
        {"key": "classification", "value": "pii", "source": "FLOE", "field": "email"}
    ]
    assert out["facets"]["dataSource"]["name"] == ns
    gold = receiver.events("floe_obs.customer_orders", "COMPLETE")[0]
    assert sorted(i["name"] for i in gold["inputs"]) == [
        "warehouse.main.stg_customers",
        "warehouse.main.stg_orders",
    ]
    lineage = gold["outputs"][0]["facets"]["columnLineage"]["fields"]
    assert lineage["total_amount"]["inputFields"][0]["name"] == "warehouse.main.stg_orders"
    assert lineage["total_amount"]["inputFields"][0]["field"] == "amount"
    assert lineage["name"]["inputFields"][0]["field"] == "name"
    assert "sum(o.amount) as total_amount" in gold["job"]["facets"]["sql"]["query"]
    assert gold["job"]["facets"]["jobType"]["integration"] == "DBT"

    # the Dagster run is the parent of every lineage run; dbt tests are assertions on the tested dataset
    dagster_run = result.run_id
    assert {e["run"]["facets"]["parent"]["run"]["runId"] for e in receiver.lineage} == {dagster_run}
    tests = receiver.events("floe_obs.stg_customers.test", "COMPLETE")[0]
    assertions = tests["inputs"][0]["inputFacets"]["dataQualityAssertions"]["assertions"]
    assert sorted((a["assertion"], a["success"], a["column"]) for a in assertions) == [
        ("not_null", True, "customer_id"),
        ("unique", True, "customer_id"),
    ]
    # test results leave once the model's tests all reported, not when the dbt invocation ends (SC-004)
    received = [(e["job"]["name"], e["eventType"]) for e in receiver.lineage]
    # (compared with the downstream model's COMPLETE, not its START: dbt starts customer_orders right after the
    # tests' results, and the two reports reach floe on different threads, so their order is not fixed)
    tests_done = received.index(("floe_obs.stg_customers.test", "COMPLETE"))
    assert tests_done < received.index(("floe_obs.customer_orders", "COMPLETE")), received

    # one span per materialization, children of the run span, trace id = Dagster run id
    spans = {s.name: s for s in receiver.spans}
    assert sorted(spans) == sorted(
        [
            "materialize raw_customers",
            "materialize raw_orders",
            "materialize stg_customers",
            "materialize stg_orders",
            "materialize customer_orders",
        ]
    )
    from floe_dagster.observability.tracing.context import run_span_id

    for span in spans.values():
        assert span.trace_id.hex() == dagster_run.replace("-", "")
        assert int.from_bytes(span.parent_span_id, "big") == run_span_id(dagster_run)
        attrs = {a.key: a.value.string_value or a.value.double_value for a in span.attributes}
        assert attrs["tenant"] == "acme" and attrs["env"] == "test"
        assert attrs["dagster.run_id"] == dagster_run
        assert attrs["floe.status"] == "success"
        assert attrs["floe.compute_target"] == "dev (duckdb)"
        assert attrs["floe.duration_ms"] >= 0
        # span <-> lineage join: the OpenLineage run id is a span attribute, the trace id a run facet tag
        event = next(e for e in receiver.lineage if e["run"]["runId"] == attrs["openlineage.run_id"])
        tags = {t["key"]: t["value"] for t in event["run"]["facets"]["tags"]["tags"]}
        assert tags["trace_id"] == span.trace_id.hex()
        assert tags["span_id"] == span.span_id.hex()
    stg_attrs = {a.key: a.value.string_value for a in spans["materialize stg_customers"].attributes}
    assert stg_attrs["dbt.unique_id"] == "model.floe_obs.stg_customers"
    assert stg_attrs["floe.asset_key"] == "stg_customers"
    assert {"service.name": "obs_test"}.items() <= receiver.resources[0].items()

    # logs <-> traces: floe's log lines for a materialization carry that span's ids
    by_span = {s.span_id.hex(): s for s in receiver.spans}
    lines = [
        ln for ln in _floe_lines(caplog) if ln.get("event") in ("dbt node finished", "asset materialized")
    ]
    assert len(lines) == 5
    for line in lines:
        assert line["trace_id"] == dagster_run.replace("-", "")
        assert line["span_id"] in by_span


def test_broken_model_emits_fail_with_dbt_message_and_error_span(
    project_factory: Any, run_project: Any, receiver: Any, validate_event: Any
) -> None:
    project = project_factory(_obs(receiver), broken=True)
    result = run_project(project)
    assert not result.success
    fail = receiver.events("floe_obs.broken_gold", "FAIL")
    assert len(fail) == 1
    message = fail[0]["run"]["facets"]["errorMessage"]["message"]
    assert 'Referenced column "nope" not found' in message
    validate_event(fail[0])
    assert len(receiver.events("floe_obs.broken_gold", "START")) == 1
    # independent models still complete
    assert len(receiver.events("floe_obs.customer_orders", "COMPLETE")) == 1
    span = next(s for s in receiver.spans if s.name == "materialize broken_gold")
    assert span.status.code == 2  # STATUS_CODE_ERROR
    assert "nope" in span.status.message
    assert any(ev.name == "exception" for ev in span.events)


def test_python_asset_failure_emits_fail_with_python_error(
    project_factory: Any, run_project: Any, receiver: Any, validate_event: Any
) -> None:
    project = project_factory(_obs(receiver))
    result = run_project(project, fail_python=True)
    assert not result.success
    (fail,) = receiver.events("raw_customers", "FAIL")
    facet = fail["run"]["facets"]["errorMessage"]
    assert facet["message"] == "ValueError: upstream file customers.csv is missing"
    assert facet["programmingLanguage"] == "PYTHON"
    assert "Traceback" in facet["stackTrace"]
    validate_event(fail)
    span = next(s for s in receiver.spans if s.name == "materialize raw_customers")
    assert span.status.code == 2
    assert any(ev.name == "exception" for ev in span.events)
    # the other bronze asset is unaffected
    assert len(receiver.events("raw_orders", "COMPLETE")) == 1


def test_job_level_emits_one_run_for_the_whole_invocation(
    project_factory: Any, run_project: Any, receiver: Any, validate_event: Any
) -> None:
    project = project_factory(_obs(receiver), level="job_level")
    assert run_project(project).success
    dbt_events = [
        e
        for e in receiver.lineage
        if e["job"]["facets"]["jobType"]["integration"] == "DBT"
        and e["job"]["facets"]["jobType"]["jobType"] == "JOB"
    ]
    assert [e["eventType"] for e in dbt_events] == ["START", "COMPLETE"]
    for e in dbt_events:
        validate_event(e)
        assert sorted(o["name"] for o in e["outputs"]) == [
            "warehouse.main.customer_orders",
            "warehouse.main.stg_customers",
            "warehouse.main.stg_orders",
        ]
        assert sorted(i["name"] for i in e["inputs"]) == [
            "warehouse.bronze.raw_customers",
            "warehouse.bronze.raw_orders",
        ]
    assert not receiver.events("floe_obs.stg_customers")
    assert [s.name for s in receiver.spans if "dbt" in s.name] == ["materialize dbt_models"]
