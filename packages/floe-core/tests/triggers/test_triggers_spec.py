"""Seed 003's configuration accepted unchanged, its payloads field by field, and validation like floe.yaml."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from floe_core.errors import FloeValidationError
from floe_core.triggers import SourceEvent, parse_triggers
from floe_core.triggers.payloads import (
    dagster_run_tags,
    eventbridge_detail,
    glue_arguments,
    mwaa_conf,
    sqs_message,
    step_function_input,
)
from floe_core.triggers.spec import (
    EventBridgeTarget,
    GlueJobTarget,
    MwaaDagTarget,
    SqsMwaaTarget,
    StepFunctionTarget,
)

SEED = next((Path(__file__).resolve().parents[4].parent / "shared" / "seeds").glob("003_*.txt"))


def _json_blocks() -> list[str]:
    return re.findall(r"```json\n(.*?)```", SEED.read_text(encoding="utf-8"), flags=re.S)


def _block(containing: str) -> dict[str, object]:
    text = next(b for b in _json_blocks() if containing in b)
    return json.loads(text)  # type: ignore[no-any-return]


EVENT = SourceEvent(
    job_name="upstream_job_name",
    run_id="spark-application-xxx",
    status="SUCCESS",
    start_date="2025-11-24T01:00Z",
    end_date="2025-11-24T01:15Z",
    created_by="jclark",
    artifacts={"output_path": "s3://bucket/output/path"},
    metrics={"records_read": 1000000, "records_written": 999000, "records_dropped": 1000},
)


def test_the_example_configuration_is_accepted_unchanged() -> None:
    text = next(b for b in _json_blocks() if '"workflows"' in b and '"transform_images"' in b)
    config = parse_triggers(
        text, "workflow_config.json", known_jobs=["transform_images", "load_promos"], env={}
    )
    images = config.workflows["transform_images"]
    assert [t.type for t in images.on_success] == ["glue_job"]
    (approved,) = images.on_approval
    assert isinstance(approved, GlueJobTarget) and approved.arguments == {"--approval_required": "true"}
    (promo,) = config.workflows["load_promos"].on_success
    assert isinstance(promo, EventBridgeTarget) and promo.detail_type == "PromoLoadComplete"


def test_every_target_example_of_the_document_parses() -> None:
    for kind, model in [
        ('"glue_job"', GlueJobTarget),
        ('"step_function"', StepFunctionTarget),
        ('"eventbridge"', EventBridgeTarget),
        ('"mwaa_dag"', MwaaDagTarget),
        ('"sqs_mwaa"', SqsMwaaTarget),
    ]:
        block = next(b for b in _json_blocks() if f'"type": {kind}' in b and "workflows" not in b)
        assert isinstance(model.model_validate(json.loads(block)), model)


def test_mwaa_conf_equals_the_documents_example_field_by_field() -> None:
    target = MwaaDagTarget.model_validate(_block('"type": "mwaa_dag"'))
    # the document's "DAG configuration passed" (its /* */ comment replaced by the artifacts it stands for)
    assert mwaa_conf(target, EVENT) == {
        "triggered_by_job": "upstream_job_name",
        "triggered_by_run_id": "spark-application-xxx",
        "start_date": "2025-11-24T01:00Z",
        "end_date": "2025-11-24T01:15Z",
        "created_by": "jclark",
        "output_path": "s3://bucket/output/path",
        "source_artifacts": {"output_path": "s3://bucket/output/path"},
        "source_metrics": {"records_read": 1000000, "records_written": 999000, "records_dropped": 1000},
        "custom_param": "value",
    }


def test_sqs_message_equals_the_documents_example() -> None:
    example = _block('"dag_id": "filter_image_glue_pyspark"')
    target = SqsMwaaTarget(
        type="sqs_mwaa",
        dag_id="filter_image_glue_pyspark",
        queue_url="https://sqs.us-west-1.amazonaws.com/123456789/my-queue",
        parameter_mapping={"start_date": "start_date", "end_date": "end_date", "created_by": "created_by"},
    )
    event = EVENT.model_copy(
        update={
            "job_name": "transform_images",
            "run_id": "spark-xxx",
            "start_date": "2025-01-01",
            "end_date": "2025-01-02",
        }
    )
    assert sqs_message(target, event) == example


def test_glue_step_functions_and_eventbridge_get_the_automatic_fields() -> None:
    glue = GlueJobTarget.model_validate(_block('"type": "glue_job"'))
    args = glue_arguments(glue, EVENT)
    assert args == {
        "--custom_arg": "value",
        "--source_path": "s3://bucket/output/path",
        "--triggered_by_job": "upstream_job_name",
        "--triggered_by_run_id": "spark-application-xxx",
        "--source_artifacts": '{"output_path": "s3://bucket/output/path"}',
    }
    machine = StepFunctionTarget.model_validate(_block('"type": "step_function"'))
    sent = step_function_input(machine, EVENT)
    assert sent["triggered_by_job"] == "upstream_job_name" and sent["source_event"]["run_id"] == EVENT.run_id
    bus = EventBridgeTarget.model_validate(_block('"type": "eventbridge"'))
    assert eventbridge_detail(bus, EVENT) == sent


def test_dagster_job_parameters_become_tags() -> None:
    from floe_core.triggers.spec import DagsterJobTarget

    target = DagsterJobTarget(
        type="dagster_job", job="load", parameter_mapping={"rows": "metrics.records_written"}
    )
    assert dagster_run_tags(target, EVENT) == {
        "floe/triggered_by_job": "upstream_job_name",
        "floe/triggered_by_run_id": "spark-application-xxx",
        "floe/param/rows": "999000",
    }


def test_every_problem_at_once_with_its_line() -> None:
    text = """\
workflows:
  transfrom_images:
    on_success:
      - {type: step_function, arn: "arn:aws:lambda:us-west-1:123:function:x"}
      - {type: sqs_mwaa, dag_id: d, parameter_mapping: {when: start_time, path: artifacts.output_path}}
      - {type: dagster_job, job: lod, parameter_mapping: {n: status.code}}
"""
    with pytest.raises(FloeValidationError) as err:
        parse_triggers(text, "triggers.yaml", known_jobs=["transform_images", "load"], env={})
    problems = str(err.value).splitlines()[1:]
    assert any(
        p.startswith("triggers.yaml:4: workflows.transfrom_images.on_success[0].arn:") for p in problems
    )
    with pytest.raises(FloeValidationError) as err:
        parse_triggers(
            text.replace("lambda:us-west-1:123:function", "states:us-west-1:123:stateMachine"),
            "triggers.yaml",
            known_jobs=["transform_images", "load"],
            env={},
        )
    problems = str(err.value).splitlines()[1:]
    assert problems == [
        "triggers.yaml:2: workflows.transfrom_images: unknown job 'transfrom_images'; did you mean"
        " 'transform_images'? (got 'transfrom_images')",
        "triggers.yaml:5: workflows.transfrom_images.on_success[1]: sqs_mwaa needs queue_url, or"
        " MWAA_TRIGGER_QUEUE_URL set in the environment",
        "triggers.yaml:5: workflows.transfrom_images.on_success[1].parameter_mapping.when: can never resolve:"
        " 'start_time' names no field of the source event (job_name, run_id, status, start_date, end_date,"
        " created_by, artifacts, metrics) (got 'start_time')",
        "triggers.yaml:6: workflows.transfrom_images.on_success[2].job: unknown job 'lod'; did you mean 'load'?"
        " (got 'lod')",
        "triggers.yaml:6: workflows.transfrom_images.on_success[2].parameter_mapping.n: can never resolve:"
        " 'status.code': status has no fields (only artifacts and metrics have) (got 'status.code')",
    ]


def test_floe_validate_checks_the_triggers_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from floe_core.cli import main

    (tmp_path / "floe.yaml").write_text(
        'name: p\nversion: "1"\ncompute: {default: dev, targets: {dev: {type: duckdb}}}\n'
        "orchestration:\n  jobs:\n    nightly: {type: batch, selection: '*'}\n"
        "triggers: {path: workflow_config.json}\n"
    )
    (tmp_path / "workflow_config.json").write_text(
        '{"workflows": {"nigthly": {"on_success": [{"type": "dagster_job", "job": "nightly"}]}}}'
    )
    assert main(["validate", "-c", str(tmp_path / "floe.yaml")]) == 1
    err = capsys.readouterr().err
    assert "workflow_config.json:1: workflows.nigthly: unknown job 'nigthly'; did you mean 'nightly'?" in err
