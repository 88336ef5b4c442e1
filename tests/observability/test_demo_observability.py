"""Issue #5's proof on the demo: a real run of demo/ (as users get it: `floe compile`, the demo's own
definitions file, the default multiprocess executor, a persistent instance) against loopback OpenLineage
and OTLP receivers, then the run-span sensor's tick.

Asserted: START + COMPLETE per bronze asset and dbt model; lineage chaining bronze -> silver -> gold
through the same dataset identifiers; schema + classification facets (schema-valid); one span per
materialization with the required attributes, all in the run's trace under the exported root span; the
same ids in floe's log lines (captured into Dagster's event log), the spans and the events; and no
secret value anywhere in what was captured.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from dagster import AssetKey, DagsterInstance, build_sensor_context, execute_job
from dagster_internals import ReconstructableRepository
from floe_core.artifacts import CompiledArtifacts
from floe_dagster.observability import Observability
from floe_dagster.observability.tracing.context import run_span_id
from floe_dagster.resources import duckdb_path
from floe_projects import DEMO, compile_project, copy_project

pytestmark = pytest.mark.slow

BRONZE = ["raw_customers", "raw_orders", "raw_products", "raw_order_items"]
SILVER = ["stg_customers", "stg_orders", "stg_products", "stg_order_items"]
GOLD = ["customer_orders", "revenue_by_product"]
SECRET = "s3cr3t-lineage-token-9f2c"
SPAN_ATTRIBUTES = {
    "floe.asset_key",
    "dagster.run_id",
    "dagster.job",
    "floe.status",
    "floe.duration_ms",
    "floe.compute_target",
    "openlineage.run_id",
    "openlineage.job.namespace",
    "openlineage.job.name",
    "tenant",
}


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, receiver: Any) -> Path:
    monkeypatch.setenv("OPENLINEAGE_URL", receiver.url)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
    monkeypatch.setenv("OPENLINEAGE_API_KEY", SECRET)  # sent as a bearer header, never inside events
    monkeypatch.setenv("FLOE_DUCKDB_PATH", ".floe/demo.duckdb")
    monkeypatch.setenv("FLOE_SCHEDULES_ON", "false")
    project = copy_project(DEMO, tmp_path / "demo")
    # the demo's floe.yaml leaves observability to the environment: add tenant context like a user would
    spec = project / "floe.yaml"
    spec.write_text(
        spec.read_text(encoding="utf-8") + "observability:\n  attributes: {tenant: acme, env: demo}\n",
        encoding="utf-8",
    )
    compile_project(project)
    return project


def _upstream(artifacts: CompiledArtifacts) -> dict[str, list[str]]:
    """Each model's parents per dbt's manifest, as `schema.name` (sources: bronze.raw_x)."""
    assert artifacts.dbt is not None
    manifest = json.loads(artifacts.resolve(artifacts.dbt.manifest_path).read_text(encoding="utf-8"))
    nodes = {**manifest["nodes"], **manifest["sources"]}
    upstream = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and node["name"] in SILVER + GOLD:
            parents = [nodes[p] for p in node["depends_on"]["nodes"]]
            upstream[node["name"]] = [
                f"{p['schema']}.{p.get('alias') or p.get('identifier') or p['name']}" for p in parents
            ]
    assert sorted(upstream) == sorted(SILVER + GOLD)
    return upstream


def _floe_log_lines(instance: DagsterInstance, run_id: str) -> list[dict[str, Any]]:
    lines = []
    for entry in instance.all_logs(run_id):
        if not entry.user_message.startswith("{"):
            continue
        try:
            line = json.loads(entry.user_message)
        except ValueError:
            continue
        if str(line.get("logger", "")).startswith("floe"):
            lines.append(line)
    return lines


def test_demo_run_emits_connected_lineage_spans_and_logs(  # noqa: PLR0915 - one run, many facts
    demo: Path, receiver: Any, validate_event: Any, tmp_path: Path
) -> None:
    overrides = {"python_logs": {"managed_python_loggers": ["floe"], "python_log_level": "INFO"}}
    home = tmp_path / "dagster_home"
    home.mkdir()
    with DagsterInstance.local_temp(str(home), overrides=overrides) as instance:
        repo = ReconstructableRepository.for_file(
            str(demo / "orchestration" / "definitions.py"), "defs", working_directory=str(demo)
        )
        unpartitioned = [AssetKey(k) for k in BRONZE + SILVER + GOLD]  # the daily pair runs per partition
        job = repo.get_reconstructable_job("__ASSET_JOB")
        with execute_job(job, instance=instance, asset_selection=unpartitioned) as result:
            assert result.success
            run_id = result.run_id
        logs = _floe_log_lines(instance, run_id)
        all_messages = [e.user_message for e in instance.all_logs(run_id)]

        # the run's root span, exported by floe's sensor from the finished run's record
        artifacts = CompiledArtifacts.load(demo / ".floe" / "compiled_artifacts.json")
        (sensor,) = Observability.from_artifacts(artifacts).sensors()
        recon_defs = repo.get_definition()
        sensor.evaluate_tick(build_sensor_context(instance=instance, repository_def=recon_defs))

    trace_id = run_id.replace("-", "")
    events = receiver.lineage
    assert events, "no lineage event received"
    for event in events:
        validate_event(event)  # the event and every facet against the OpenLineage JSON Schemas

    # START + COMPLETE for every bronze asset and dbt model, nothing failed
    for job in BRONZE + [f"demo.{m}" for m in SILVER + GOLD]:
        assert [e["eventType"] for e in receiver.events(job)] == ["START", "COMPLETE"], job
    assert not receiver.events(state="FAIL")
    assert {e["run"]["facets"]["parent"]["run"]["runId"] for e in events} == {run_id}

    # bronze -> silver -> gold: each model's inputs are exactly its upstream outputs
    db = duckdb_path(artifacts)  # the file dbt and the bronze assets really wrote
    assert db is not None and db.is_file()
    ns = f"duckdb://{db}"
    outputs: dict[str, tuple[str, str]] = {}
    for name in BRONZE:
        (out,) = receiver.events(name, "COMPLETE")[0]["outputs"]
        outputs[f"bronze.{name}"] = (out["namespace"], out["name"])
        assert (out["namespace"], out["name"]) == (ns, f"demo.bronze.{name}")
    for name in SILVER + GOLD:
        complete = receiver.events(f"demo.{name}", "COMPLETE")[0]
        (out,) = complete["outputs"]
        outputs[f"main.{name}"] = (out["namespace"], out["name"])
        assert (out["namespace"], out["name"]) == (ns, f"demo.main.{name}")
        fields = [f["name"] for f in out["facets"]["schema"]["fields"]]
        assert fields, name  # columns and types from the manifest
    for name, parents in _upstream(artifacts).items():
        complete = receiver.events(f"demo.{name}", "COMPLETE")[0]
        got = sorted((i["namespace"], i["name"]) for i in complete["inputs"])
        assert got == sorted(outputs[p] for p in parents), name
    customers = receiver.events("demo.stg_customers", "COMPLETE")[0]["outputs"][0]["facets"]
    classified = {(t["field"], t["value"]) for t in customers["tags"]["tags"] if t["key"] == "classification"}
    assert classified == {("email", "pii"), ("phone", "pii")}

    # one span per materialization, in the run's trace, under the exported root
    root = [s for s in receiver.spans if s.name.startswith("dagster run")]
    assert len(root) == 1 and root[0].trace_id.hex() == trace_id
    assert int.from_bytes(root[0].span_id, "big") == run_span_id(run_id)
    spans = [s for s in receiver.spans if s.name.startswith("materialize ")]
    assert sorted(s.name for s in spans) == sorted(f"materialize {n}" for n in BRONZE + SILVER + GOLD)
    by_span_id = {}
    for span in spans:
        attrs = {a.key: a.value.string_value or a.value.double_value for a in span.attributes}
        assert attrs.keys() >= SPAN_ATTRIBUTES, span.name
        assert span.trace_id.hex() == trace_id and span.parent_span_id == root[0].span_id
        assert attrs["dagster.run_id"] == run_id and attrs["tenant"] == "acme"
        assert attrs["floe.status"] == "success" and attrs["floe.compute_target"] == "dev (duckdb)"
        if attrs["floe.asset_key"] in SILVER + GOLD:
            assert attrs["dbt.unique_id"] == f"model.demo.{attrs['floe.asset_key']}"
        # span <-> lineage: the same OpenLineage run id, and the event names the span
        event = next(e for e in events if e["run"]["runId"] == attrs["openlineage.run_id"])
        tags = {t["key"]: t["value"] for t in event["run"]["facets"]["tags"]["tags"]}
        assert (tags["trace_id"], tags["span_id"]) == (trace_id, span.span_id.hex())
        by_span_id[span.span_id.hex()] = attrs

    # logs <-> spans <-> lineage: floe's log lines (from the step processes) carry the same three ids
    assert not [ln for ln in logs if ln.get("level") in ("warning", "error")]  # no telemetry trouble
    finished = [ln for ln in logs if ln.get("event") in ("dbt node finished", "asset materialized")]
    assert len(finished) == len(BRONZE + SILVER + GOLD), logs
    for line in finished:
        assert line["trace_id"] == trace_id
        attrs = by_span_id[line["span_id"]]
        assert line["openlineage_run_id"] == attrs["openlineage.run_id"]

    # the secret was in use (the receiver saw the bearer header) but appears in nothing floe produced
    assert receiver.authorizations and set(receiver.authorizations) == {f"Bearer {SECRET}"}
    captured = [
        json.dumps(events),
        *(s.SerializeToString().decode("latin-1") for s in receiver.spans),
        json.dumps(receiver.resources),
        *all_messages,
    ]
    assert not [c for c in captured if SECRET in c]
    # nor in any file: generated artifacts, the run storage, the steps' captured stdout/stderr
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {".out", ".err", ".db", ".log", ".json"} <= {p.suffix for p in files}  # compute logs, dbt.log
    assert not [p for p in files if SECRET.encode() in p.read_bytes()]


def test_demo_partitioned_run_carries_the_partition_everywhere(
    demo: Path, receiver: Any, validate_event: Any, tmp_path: Path
) -> None:
    """The demo's daily pair (Python bronze -> incremental dbt model) for one day, via its floe.yaml job."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    day = "2024-01-15"
    with DagsterInstance.local_temp(str(home)) as instance:
        repo = ReconstructableRepository.for_file(
            str(demo / "orchestration" / "definitions.py"), "defs", working_directory=str(demo)
        )
        job = repo.get_reconstructable_job("daily_orders")
        with execute_job(job, instance=instance, tags={"dagster/partition": day}) as result:
            assert result.success
            run_id = result.run_id
        artifacts = CompiledArtifacts.load(demo / ".floe" / "compiled_artifacts.json")
        (sensor,) = Observability.from_artifacts(artifacts).sensors()
        sensor.evaluate_tick(build_sensor_context(instance=instance, repository_def=repo.get_definition()))

    for job_name in ("raw_daily_orders", "demo.fct_daily_orders"):
        assert [e["eventType"] for e in receiver.events(job_name)] == ["START", "COMPLETE"], job_name
    for event in receiver.lineage:
        validate_event(event)
        tags = {t["key"]: t["value"] for t in event["run"]["facets"]["tags"]["tags"]}
        assert tags["dagster.partition_key"] == day
        assert event["run"]["facets"]["parent"]["job"]["name"] == "daily_orders"
    (bronze_out,) = receiver.events("raw_daily_orders", "COMPLETE")[0]["outputs"]
    (model_in,) = receiver.events("demo.fct_daily_orders", "COMPLETE")[0]["inputs"]
    assert (model_in["namespace"], model_in["name"]) == (bronze_out["namespace"], bronze_out["name"])
    spans = {s.name: s for s in receiver.spans}
    assert sorted(spans) == [
        "dagster run daily_orders",
        "materialize fct_daily_orders",
        "materialize raw_daily_orders",
    ]
    for span in spans.values():
        attrs = {a.key: a.value.string_value for a in span.attributes}
        assert span.trace_id.hex() == run_id.replace("-", "")
        assert (attrs["dagster.partition_key"], attrs["dagster.job"]) == (day, "daily_orders")
