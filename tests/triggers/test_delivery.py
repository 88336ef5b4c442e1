"""Downstream triggers delivered to real stand-ins (moto in server mode for Glue, Step Functions,
EventBridge → SQS and SQS; a loopback webhook; botocore's Stubber + a loopback CLI endpoint for MWAA), from
runs of real Dagster jobs, evaluated by the sensors the way the daemon evaluates them. Each payload is
compared field by field with seed 003's examples."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRun,
    RunStatusChangeRecordsFilter,
    SensorDefinition,
    SensorResult,
    build_sensor_context,
    instance_for_test,
)
from floe_dagster.triggers.send import TAG_PREFIX
from floe_dagster.triggers.sensor import SUCCESS_SENSOR, trigger_sensors
from trigger_support import GLUE_JOB, Aws, Receiver
from upstream_jobs import JOBS, METRICS, OUTPUT_PATH, load_promos, transform_images


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    with instance_for_test() as inst:
        yield inst


def write(path: Path, config: dict[str, Any]) -> Path:
    path.write_text(json.dumps(config, indent=2))
    return path


def run_job(
    instance: DagsterInstance, job: Any, passed: bool = True, blocking: bool = False, crash: bool = False
) -> DagsterRun:
    config = {"ops": {"transform": {"config": {"passed": passed, "blocking": blocking, "crash": crash}}}}
    result = job.execute_in_process(
        instance=instance,
        run_config=config if job is transform_images else {},
        raise_on_error=False,
        tags={"dagster/user": "jclark"},
    )
    run = instance.get_run_by_id(result.run_id)
    assert run is not None
    return run


def evaluate(sensor: SensorDefinition, instance: DagsterInstance, run: DagsterRun) -> SensorResult:
    """One evaluation of the finished-runs sensor, its cursor just before `run`'s end (as the daemon's
    would be when the run finishes)."""
    kind = DagsterEventType.RUN_SUCCESS if run.status.value == "SUCCESS" else DagsterEventType.RUN_FAILURE
    changes = instance.fetch_run_status_changes(
        RunStatusChangeRecordsFilter(event_type=kind, job_names=[run.job_name]), limit=1000
    ).records
    (record,) = [r for r in changes if r.event_log_entry.run_id == run.run_id]
    context = build_sensor_context(instance=instance, cursor=str(record.storage_id - 1))
    result = sensor(context)  # type: ignore[call-arg]
    assert isinstance(result, SensorResult)
    return result


def sensors(path: Path) -> dict[str, SensorDefinition]:
    return {s.name: s for s in trigger_sensors(path, JOBS, watch_seconds=0)}


def glue_runs_of(aws: Aws, run: DagsterRun) -> list[dict[str, Any]]:
    return [r for r in aws.glue_runs() if r["Arguments"].get("--triggered_by_run_id") == run.run_id]


def tags_of(instance: DagsterInstance, run: DagsterRun) -> dict[str, str]:
    fresh = instance.get_run_by_id(run.run_id)
    assert fresh is not None
    return dict(fresh.tags)


def test_each_target_receives_the_documents_payload_once(
    tmp_path: Path, aws: Aws, receiver: Receiver, instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROMO_HOOK_URL", receiver.url + "/hook?token=t0k-S3cr3t")
    mapping = {"start_date": "start_date", "end_date": "end_date", "created_by": "created_by"}
    config = write(
        tmp_path / "triggers.json",
        {
            "workflows": {
                "transform_images": {
                    "description": "Image transformation pipeline",
                    "on_success": [
                        {
                            "type": "glue_job",
                            "job_name": GLUE_JOB,
                            "arguments": {
                                "--custom_arg": "value",
                                "--source_path": "${artifacts.output_path}",
                            },
                        },
                        {"type": "step_function", "arn": aws.state_machine},
                        {
                            "type": "sqs_mwaa",
                            "dag_id": "filter_image_glue_pyspark",
                            "queue_url": aws.queue_url,
                            "conf": {"custom_param": "value"},
                            "parameter_mapping": mapping,
                        },
                        {
                            "type": "webhook",
                            "url_env": "PROMO_HOOK_URL",
                            "parameter_mapping": {"output_path": "artifacts.output_path"},
                        },
                        {
                            "type": "dagster_job",
                            "job": "downstream",
                            "parameter_mapping": {"record_count": "metrics.records_written"},
                        },
                    ],
                },
                "load_promos": {
                    "on_success": [
                        {
                            "type": "eventbridge",
                            "event_bus": "default",
                            "detail_type": "PromoLoadComplete",
                            "source": "dwh.load_promos",
                        }
                    ]
                },
            }
        },
    )
    on_success = sensors(config)[SUCCESS_SENSOR]
    run = run_job(instance, transform_images)
    result = evaluate(on_success, instance, run)

    # Glue: the job's own arguments (the event path filled in) plus exactly the three automatic ones
    (glue_run,) = glue_runs_of(aws, run)
    arguments = glue_run["Arguments"]
    assert arguments == {
        "--custom_arg": "value",
        "--source_path": OUTPUT_PATH,
        "--triggered_by_job": "transform_images",
        "--triggered_by_run_id": run.run_id,
        "--source_artifacts": json.dumps({"output_path": OUTPUT_PATH}, sort_keys=True),
    }
    # Step Functions: {triggered_by_job, triggered_by_run_id, source_event}
    sfn = aws.client("stepfunctions")
    (execution,) = sfn.list_executions(stateMachineArn=aws.state_machine)["executions"]
    given = json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"])
    assert set(given) == {"triggered_by_job", "triggered_by_run_id", "source_event"}
    assert given["triggered_by_run_id"] == run.run_id
    event = given["source_event"]
    assert event["job_name"] == "transform_images" and event["status"] == "SUCCESS"
    assert event["created_by"] == "jclark" and event["metrics"] == METRICS
    assert event["artifacts"] == {"output_path": OUTPUT_PATH}
    assert event["start_date"] and event["end_date"]
    # SQS for MWAA: the document's message format, field by field
    (message,) = aws.messages(aws.queue_url)
    assert message == {
        "dag_id": "filter_image_glue_pyspark",
        "conf": {
            "triggered_by_job": "transform_images",
            "triggered_by_run_id": run.run_id,
            "start_date": event["start_date"],
            "end_date": event["end_date"],
            "created_by": "jclark",
            "custom_param": "value",
        },
    }
    # webhook: its mapping + the origin + the full event, with an idempotency key; no secret in the tags
    (hook,) = receiver.received
    assert hook.path == "/hook?token=t0k-S3cr3t"
    assert hook.json()["output_path"] == OUTPUT_PATH and hook.json()["triggered_by_run_id"] == run.run_id
    assert hook.headers["Idempotency-Key"].startswith("floe-")
    # dagster_job: a run request Dagster launches at most once (its run key), parameters as tags
    (request,) = result.run_requests or []
    assert request.job_name == "downstream" and request.run_key == f"{run.run_id}:on_success.4.dagster_job"
    assert request.tags["floe/param/record_count"] == "990"
    assert request.tags["floe/triggered_by_run_id"] == run.run_id
    # every delivery recorded on the upstream run; nothing secret in the record
    recorded = {k: v for k, v in tags_of(instance, run).items() if k.startswith(TAG_PREFIX)}
    assert sorted(recorded) == [
        TAG_PREFIX + "on_success.0.glue_job",
        TAG_PREFIX + "on_success.1.step_function",
        TAG_PREFIX + "on_success.2.sqs_mwaa",
        TAG_PREFIX + "on_success.3.webhook",
    ]
    assert all(v.startswith("delivered") for v in recorded.values()), recorded
    assert "t0k-S3cr3t" not in json.dumps(recorded)

    # the same run evaluated again (a daemon restarted before its cursor moved): nothing is sent twice
    again = evaluate(on_success, instance, run)
    assert (
        len(glue_runs_of(aws, run)) == 1 and aws.messages(aws.queue_url) == [] and len(receiver.received) == 1
    )
    assert len(sfn.list_executions(stateMachineArn=aws.state_machine)["executions"]) == 1
    assert (again.run_requests or [])[0].run_key == request.run_key

    # EventBridge: the event on the bus, forwarded by a rule to a queue
    promos = run_job(instance, load_promos)
    evaluate(on_success, instance, promos)
    (forwarded,) = aws.messages(aws.bus_queue_url)
    assert forwarded["source"] == "dwh.load_promos" and forwarded["detail-type"] == "PromoLoadComplete"
    assert forwarded["detail"]["triggered_by_job"] == "load_promos"
    assert forwarded["detail"]["triggered_by_run_id"] == promos.run_id
    assert forwarded["detail"]["source_event"]["metrics"] == {"records_written": 5}


def test_a_failing_trigger_is_retried_bounded_recorded_and_never_stops_the_others(
    tmp_path: Path, aws: Aws, receiver: Receiver, instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_URL", receiver.url + "/after")
    monkeypatch.setattr("floe_dagster.triggers.send.BACKOFF_SECONDS", 0.0)
    config = write(
        tmp_path / "triggers.json",
        {
            "workflows": {
                "transform_images": {
                    "on_success": [
                        {"type": "glue_job", "job_name": "no_such_glue_job"},
                        {"type": "webhook", "url_env": "HOOK_URL"},
                    ]
                }
            }
        },
    )
    run = run_job(instance, transform_images)
    evaluate(sensors(config)[SUCCESS_SENSOR], instance, run)
    tags = tags_of(instance, run)
    failed = tags[TAG_PREFIX + "on_success.0.glue_job"]
    assert failed.startswith("failed") and "EntityNotFoundException" in failed
    assert tags[TAG_PREFIX + "on_success.1.webhook"].startswith("delivered")
    assert [r.path for r in receiver.received] == ["/after"]
    # a recorded failure is not retried by later ticks (bounded: no endless retries)
    evaluate(sensors(config)[SUCCESS_SENSOR], instance, run)
    assert tags_of(instance, run)[TAG_PREFIX + "on_success.0.glue_job"] == failed


def test_the_file_is_read_again_on_each_evaluation(
    tmp_path: Path, aws: Aws, receiver: Receiver, instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_URL", receiver.url)
    path = write(tmp_path / "triggers.json", {"workflows": {"transform_images": {"on_success": []}}})
    on_success = sensors(path)[SUCCESS_SENSOR]
    first = run_job(instance, transform_images)
    assert not evaluate(on_success, instance, first).run_requests and receiver.received == []
    hook = {"type": "webhook", "url_env": "HOOK_URL", "parameter_mapping": {"by": "created_by"}}
    write(path, {"workflows": {"transform_images": {"on_success": [hook]}}})  # edited, no redeploy
    second = run_job(instance, transform_images)
    evaluate(on_success, instance, second)
    assert [r.json()["triggered_by_run_id"] for r in receiver.received] == [second.run_id]
    path.write_text('{"workflows": {"transform_images": {"on_success": [{"type": "glue_jb"}]}}}')
    third = run_job(instance, transform_images)
    skipped = evaluate(on_success, instance, third)
    assert not skipped.run_requests and len(receiver.received) == 1


def test_a_send_interrupted_before_it_was_recorded_is_recognised_not_repeated(
    tmp_path: Path, aws: Aws, receiver: Receiver, instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process died after Glue started the job run and before the run was tagged `delivered`."""
    from floe_core.triggers.spec import GlueJobTarget
    from floe_dagster.triggers.deliver import deliver
    from floe_dagster.triggers.source_event import source_event

    monkeypatch.setenv("HOOK_URL", receiver.url)
    glue = {"type": "glue_job", "job_name": GLUE_JOB, "arguments": {"--approval_required": "false"}}
    hook = {"type": "webhook", "url_env": "HOOK_URL"}
    path = write(tmp_path / "t.json", {"workflows": {"transform_images": {"on_success": [glue, hook]}}})
    run = run_job(instance, transform_images)
    event = source_event(instance, run)
    deliver(GlueJobTarget.model_validate(glue), event, "on_success.0.glue_job")  # sent ...
    instance.add_run_tags(run.run_id, {TAG_PREFIX + "on_success.0.glue_job": "sending 2026-12-05T00:00:00"})
    instance.add_run_tags(run.run_id, {TAG_PREFIX + "on_success.1.webhook": "sending 2026-12-05T00:00:00"})
    evaluate(sensors(path)[SUCCESS_SENSOR], instance, run)  # ... and evaluated again after a restart
    assert len(glue_runs_of(aws, run)) == 1
    tags = tags_of(instance, run)
    assert "found after a restart" in tags[TAG_PREFIX + "on_success.0.glue_job"]
    # a webhook cannot be asked: sent again with the identity the receiver can recognise
    assert tags[TAG_PREFIX + "on_success.1.webhook"].startswith("delivered")
    (again,) = receiver.received
    assert again.headers["Idempotency-Key"].startswith("floe-")


def test_mwaa_gets_a_cli_token_then_dags_trigger_with_the_documents_conf(
    tmp_path: Path, aws: Aws, receiver: Receiver, instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    import base64

    import boto3
    from botocore.stub import Stubber
    from floe_dagster.triggers import deliver as deliver_module

    mwaa = boto3.client("mwaa", region_name="us-west-2")
    stubber = Stubber(mwaa)
    stubber.add_response(
        "create_cli_token",
        {"CliToken": "cli-t0k-S3cr3t", "WebServerHostname": "mwaa.example"},
        {"Name": "my-mwaa-environment"},
    )
    stubber.activate()
    real = deliver_module._client
    monkeypatch.setattr(deliver_module, "_client", lambda s, r=None: mwaa if s == "mwaa" else real(s, r))
    monkeypatch.setenv("FLOE_MWAA_CLI_URL", receiver.url + "/aws_mwaa/cli")
    target = {
        "type": "mwaa_dag",
        "environment_name": "my-mwaa-environment",
        "region": "us-west-2",
        "dag_id": "my_downstream_dag",
        "conf": {"custom_param": "value"},
        "parameter_mapping": {
            "start_date": "start_date",
            "end_date": "end_date",
            "created_by": "created_by",
            "output_path": "artifacts.output_path",
        },
    }
    path = write(tmp_path / "t.json", {"workflows": {"transform_images": {"on_success": [target]}}})
    run = run_job(instance, transform_images)
    evaluate(sensors(path)[SUCCESS_SENSOR], instance, run)
    stubber.assert_no_pending_responses()
    (call,) = receiver.received
    assert call.headers["Authorization"] == "Bearer cli-t0k-S3cr3t"
    command = call.body.decode()
    prefix = "dags trigger my_downstream_dag -c '"
    assert command.startswith(prefix) and command.endswith("'")
    conf = json.loads(command[len(prefix) : -1])
    event = json.loads(json.dumps(conf))
    assert conf == {
        "triggered_by_job": "transform_images",
        "triggered_by_run_id": run.run_id,
        "start_date": event["start_date"],
        "end_date": event["end_date"],
        "created_by": "jclark",
        "output_path": OUTPUT_PATH,
        "source_artifacts": {"output_path": OUTPUT_PATH},
        "source_metrics": METRICS,
        "custom_param": "value",
    }
    assert conf["start_date"] and conf["end_date"]
    recorded = tags_of(instance, run)[TAG_PREFIX + "on_success.0.mwaa_dag"]
    assert recorded.startswith("delivered") and "S3cr3t" not in recorded
    assert base64  # (the CLI endpoint answers base64 stdout/stderr; an empty answer is a success)


def test_the_api_knows_the_names_floe_dagster_gives_the_gate() -> None:
    """floe-api never imports dagster: it names the decision job and the shared sensors itself."""
    from floe_api.orchestrator import SHARED_SENSORS
    from floe_api.service import DECISION_JOB
    from floe_api.status import APPROVAL_TAG as API_APPROVAL_TAG
    from floe_core.triggers.approval import APPROVAL_TAG
    from floe_dagster.triggers.approval import DECISION_JOB as DAGSTER_DECISION_JOB
    from floe_dagster.triggers.sensor import APPROVALS_SENSOR

    assert DECISION_JOB == DAGSTER_DECISION_JOB and API_APPROVAL_TAG == APPROVAL_TAG
    assert {SUCCESS_SENSOR, APPROVALS_SENSOR} == SHARED_SENSORS
