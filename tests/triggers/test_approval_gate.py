"""The approval gate: a run under an approval policy whose quality check fails waits in PENDING_APPROVAL
(on_success does not fire; the policy's channel is told), a decision recorded by the decision job (who,
when, why) fires on_approval once, a rejection fires nothing, and the deadline rejects a forgotten run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance, SensorDefinition, build_sensor_context, instance_for_test
from floe_core.triggers.approval import (
    APPROVAL_TAG,
    DEADLINE_TAG,
    DECIDED_AT_TAG,
    DECIDED_BY_TAG,
    FAILED_CHECKS_TAG,
    REASON_TAG,
)
from floe_dagster.triggers.approval import decision_job
from floe_dagster.triggers.sensor import APPROVALS_SENSOR, SUCCESS_SENSOR
from test_delivery import evaluate, run_job, sensors, tags_of, write
from trigger_support import GLUE_JOB, Aws, Receiver
from upstream_jobs import transform_images

ON_APPROVAL_GLUE = {
    "type": "glue_job",
    "job_name": GLUE_JOB,
    "description": "Load approved images to Redshift",
    "arguments": {"--approval_required": "true"},
}


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    with instance_for_test() as inst:
        yield inst


@pytest.fixture
def gate(tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> dict[str, SensorDefinition]:
    """The sensors on a gated `transform_images` (on_success: a webhook to /success)."""
    monkeypatch.setenv("SUCCESS_HOOK_URL", receiver.url + "/success")
    return sensors(gate_config(tmp_path, receiver))


def gate_config(tmp_path: Path, receiver: Receiver, **approval: Any) -> Path:
    return write(
        tmp_path / "triggers.json",
        {
            "workflows": {
                "transform_images": {
                    "on_success": [{"type": "webhook", "url_env": "SUCCESS_HOOK_URL"}],
                    "on_approval": [ON_APPROVAL_GLUE],
                    "approval": {
                        "timeout": "2h",
                        "notify": [{"type": "webhook", "url": receiver.url + "/approvals"}],
                        **approval,
                    },
                }
            }
        },
    )


def decide(instance: DagsterInstance, run_id: str, decision: str, by: str, reason: str) -> Any:
    config = {"run_id": run_id, "decision": decision, "decided_by": by, "reason": reason}
    return decision_job.execute_in_process(
        instance=instance,
        run_config={"ops": {"record_approval_decision": {"config": config}}},
        raise_on_error=False,
    )


def approved_runs(aws: Aws, run_id: str) -> list[dict[str, Any]]:
    return [r for r in aws.glue_runs() if r["Arguments"].get("--triggered_by_run_id") == run_id]


def test_a_quality_failure_waits_for_approval_then_fires_on_approval_once(
    gate: dict[str, SensorDefinition], aws: Aws, receiver: Receiver, instance: DagsterInstance
) -> None:
    run = run_job(instance, transform_images, passed=False)
    assert run.status.value == "SUCCESS"  # a non-blocking check: Dagster calls the run a success
    evaluate(gate[SUCCESS_SENSOR], instance, run)
    tags = tags_of(instance, run)
    assert tags[APPROVAL_TAG] == "PENDING_APPROVAL"
    assert tags[FAILED_CHECKS_TAG] == "images:no_blank_images"
    assert datetime.fromisoformat(tags[DEADLINE_TAG]) > datetime.now(UTC) + timedelta(hours=1)
    # on_success did not fire; the approval channel was told, with the command to approve
    (notice,) = receiver.received
    assert notice.path == "/approvals"
    assert notice.json()["event"] == "approval_required" and notice.json()["run_id"] == run.run_id
    assert notice.json()["failed_checks"] == ["images:no_blank_images"]
    # nothing fires while it waits
    approvals = gate[APPROVALS_SENSOR]
    context = build_sensor_context(instance=instance)
    approvals(context)
    assert approved_runs(aws, run.run_id) == []

    decision = decide(instance, run.run_id, "APPROVED", "jclark", "blank images are expected today")
    assert decision.success
    tags = tags_of(instance, run)
    assert tags[APPROVAL_TAG] == "APPROVED" and tags[DECIDED_BY_TAG] == "jclark"
    assert tags[REASON_TAG] == "blank images are expected today" and tags[DECIDED_AT_TAG]

    result = approvals(build_sensor_context(instance=instance, cursor=context.cursor))
    (glue_run,) = approved_runs(aws, run.run_id)
    assert glue_run["Arguments"] == {
        "--approval_required": "true",
        "--triggered_by_job": "transform_images",
        "--triggered_by_run_id": run.run_id,
        "--source_artifacts": '{"output_path": "s3://bucket/images/2026-12-05/"}',
    }
    # evaluated again with the cursor it left, and from scratch (a lost cursor): still one Glue run
    approvals(build_sensor_context(instance=instance, cursor=result.cursor))
    approvals(build_sensor_context(instance=instance))
    assert len(approved_runs(aws, run.run_id)) == 1
    assert [r.path for r in receiver.received] == ["/approvals"]  # and on_success never fired

    # a second decision on a decided run is refused, naming the state
    again = decide(instance, run.run_id, "REJECTED", "someone", "too late")
    assert not again.success
    failure = again.get_step_failure_events()[0].step_failure_data.error
    assert failure is not None and "is not waiting for approval (it is APPROVED)" in failure.message


def test_a_blocking_check_that_fails_the_run_waits_too_and_a_rejection_fires_nothing(
    gate: dict[str, SensorDefinition], aws: Aws, receiver: Receiver, instance: DagsterInstance
) -> None:
    run = run_job(instance, transform_images, passed=False, blocking=True)
    assert run.status.value == "FAILURE"
    evaluate(gate[SUCCESS_SENSOR], instance, run)
    assert tags_of(instance, run)[APPROVAL_TAG] == "PENDING_APPROVAL"
    assert decide(instance, run.run_id, "REJECTED", "jclark", "bad batch").success
    gate[APPROVALS_SENSOR](build_sensor_context(instance=instance))
    assert approved_runs(aws, run.run_id) == []
    assert tags_of(instance, run)[APPROVAL_TAG] == "REJECTED"


def test_a_run_that_fails_for_another_reason_or_passes_its_checks_is_not_held(
    gate: dict[str, SensorDefinition], aws: Aws, receiver: Receiver, instance: DagsterInstance
) -> None:
    good = run_job(instance, transform_images, passed=True)
    evaluate(gate[SUCCESS_SENSOR], instance, good)
    assert APPROVAL_TAG not in tags_of(instance, good)
    assert [r.path for r in receiver.received] == ["/success"]  # passed: on_success as usual
    broken = run_job(instance, transform_images, crash=True)
    assert broken.status.value == "FAILURE"
    evaluate(gate[SUCCESS_SENSOR], instance, broken)
    assert APPROVAL_TAG not in tags_of(instance, broken)  # no check failed: a plain failure
    assert [r.path for r in receiver.received] == ["/success"]


def test_the_deadline_rejects_a_run_nobody_decided(
    gate: dict[str, SensorDefinition], aws: Aws, receiver: Receiver, instance: DagsterInstance
) -> None:
    run = run_job(instance, transform_images, passed=False)
    evaluate(gate[SUCCESS_SENSOR], instance, run)
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat(timespec="seconds")
    instance.add_run_tags(run.run_id, {DEADLINE_TAG: past})  # the policy's timeout has passed
    gate[APPROVALS_SENSOR](build_sensor_context(instance=instance))
    tags = tags_of(instance, run)
    assert tags[APPROVAL_TAG] == "REJECTED" and tags[DECIDED_BY_TAG] == "timeout"
    assert tags[REASON_TAG] == f"not approved before {past}"
    assert approved_runs(aws, run.run_id) == []
