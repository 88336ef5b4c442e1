"""The root span of each Dagster run: exported by the `floe_run_spans` sensor from the run record, with the
trace id and span id the materialization spans already point at, so backends show one tree per run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance, Definitions, asset, build_sensor_context, materialize
from floe_core.artifacts import CompiledArtifacts
from floe_dagster.observability import Observability
from floe_dagster.observability.tracing.context import run_span_id

pytestmark = pytest.mark.slow


def _obs(receiver: Any) -> dict[str, Any]:
    return {"traces": {"endpoint": receiver.url}, "attributes": {"tenant": "acme"}}


@asset
def unrelated() -> int:
    return 1


def _setup(definitions_for: Any, project: Any, **kwargs: Any) -> tuple[Definitions, Any]:
    assets, resources = definitions_for(project, **kwargs)
    if kwargs.get("fail_python"):
        assets = assets[:-1]  # bronze only: the failing Python asset is the point, no dbt needed
    sensors = Observability.from_artifacts(CompiledArtifacts.load(project.artifacts_path)).sensors()
    return Definitions(assets=assets, resources=resources, sensors=sensors), sensors


def _tick(defs: Definitions, sensor: Any, instance: DagsterInstance, cursor: str | None) -> Any:
    context = build_sensor_context(instance=instance, repository_def=defs.get_repository_def(), cursor=cursor)
    return sensor.evaluate_tick(context)


def test_sensor_exports_the_root_span_of_a_finished_run_once(
    project_factory: Any, definitions_for: Any, receiver: Any, tmp_path: Path
) -> None:
    project = project_factory(_obs(receiver))
    defs, sensors = _setup(definitions_for, project)
    (sensor,) = sensors
    assert sensor.name == "floe_run_spans"
    with DagsterInstance.local_temp(str(tmp_path)) as instance:
        job = defs.resolve_implicit_global_asset_job_def()
        result = job.execute_in_process(instance=instance, raise_on_error=False)
        assert result.success
        # a run of a job this code location does not have (an ad-hoc materialize) is not ours
        other = materialize([unrelated], instance=instance)
        children = list(receiver.spans)
        assert len(children) == 5  # the materialization spans went out during the run

        first = _tick(defs, sensor, instance, None)
        run_id = result.run_id
        roots = [s for s in receiver.spans if s.name.startswith("dagster run")]
        assert [s.name for s in roots] == [f"dagster run {job.name}"]
        root = roots[0]
        assert root.trace_id.hex() == run_id.replace("-", "")
        assert int.from_bytes(root.span_id, "big") == run_span_id(run_id)
        assert root.parent_span_id == b""  # the root of the trace
        assert all(c.parent_span_id == root.span_id and c.trace_id == root.trace_id for c in children)
        attrs = {a.key: a.value.string_value for a in root.attributes}
        assert attrs["dagster.run_id"] == run_id
        assert attrs["dagster.job"] == job.name
        assert attrs["floe.status"] == "success"
        assert attrs["tenant"] == "acme"
        assert root.status.code == 1  # STATUS_CODE_OK
        record = instance.get_run_record_by_id(run_id)
        assert record is not None and record.start_time and record.end_time
        assert root.start_time_unix_nano == int(record.start_time * 1e9)
        assert root.end_time_unix_nano == int(record.end_time * 1e9)
        # the root starts no later than, and ends no earlier than, each materialization
        assert all(root.start_time_unix_nano <= c.start_time_unix_nano for c in children)
        assert all(root.end_time_unix_nano >= c.end_time_unix_nano for c in children)
        assert other.run_id not in {a.value.string_value for s in roots for a in s.attributes}

        # the cursor remembers: a second tick exports nothing new
        _tick(defs, sensor, instance, first.cursor)
        assert len([s for s in receiver.spans if s.name.startswith("dagster run")]) == 1


def test_failed_run_gets_an_error_root_span(
    project_factory: Any, definitions_for: Any, receiver: Any, tmp_path: Path
) -> None:
    project = project_factory(_obs(receiver))
    defs, (sensor,) = _setup(definitions_for, project, fail_python=True)
    with DagsterInstance.local_temp(str(tmp_path)) as instance:
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, raise_on_error=False
        )
        assert not result.success
        _tick(defs, sensor, instance, None)
    (root,) = [s for s in receiver.spans if s.name.startswith("dagster run")]
    assert root.trace_id.hex() == result.run_id.replace("-", "")
    assert root.status.code == 2  # STATUS_CODE_ERROR
    assert {a.key: a.value.string_value for a in root.attributes}["floe.status"] == "failure"
    failed = next(s for s in receiver.spans if s.name == "materialize raw_customers")
    assert failed.parent_span_id == root.span_id


def test_no_sensor_without_a_trace_endpoint(project_factory: Any) -> None:
    project = project_factory({"attributes": {"tenant": "acme"}})
    artifacts = CompiledArtifacts.load(project.artifacts_path)
    assert Observability.from_artifacts(artifacts).sensors() == []
