"""Killing the daemon mid-delivery and restarting it neither loses nor duplicates a trigger.

A real `dagster-daemon run` (with its code server) evaluates the sensors. The upstream run has three
on_success triggers: Glue (moto), a webhook whose receiver holds the request open, and SQS (moto). While the
webhook request is in flight the daemon's whole process group is killed (SIGKILL); a new daemon then
evaluates the same run again (Dagster's cursor had not moved): Glue is not started again, the webhook is
sent again with the same Idempotency-Key (the receiver can tell it is the same delivery), SQS is sent once,
and the `dagster_job` target's run is launched once, by the daemon."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TypeVar

import pytest
from dagster import DagsterInstance, DagsterRun, DagsterRunStatus, RunsFilter
from floe_dagster.triggers.send import TAG_PREFIX
from floe_dagster.triggers.sensor import SUCCESS_SENSOR
from trigger_support import GLUE_JOB, Aws, Receiver

pytestmark = pytest.mark.slow
HERE = Path(__file__).parent
DAEMON = str(Path(sys.executable).with_name("dagster-daemon"))
T = TypeVar("T")


def poll(what: str, probe: Callable[[], T | None], daemon: subprocess.Popen[bytes], log: Path) -> T:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            raise AssertionError(f"the daemon exited waiting for {what}:\n{log.read_text()[-3000:]}")
        found = probe()
        if found is not None:
            return found
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}:\n{log.read_text()[-3000:]}")


@contextmanager
def daemon(home: Path, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [DAEMON, "run", "-f", str(HERE / "daemon_defs.py"), "-d", str(HERE)],
            env={**os.environ, **env, "DAGSTER_HOME": str(home)},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the code server it starts dies with it
        )
    try:
        yield proc
    finally:
        with_group_killed(proc)


def with_group_killed(proc: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)


def sensor_ready(instance: DagsterInstance) -> bool | None:
    """The run-status sensor has ticked once (its first tick starts its cursor at the newest event)."""
    for state in instance.all_instigator_state():
        if state.name == SUCCESS_SENSOR and state.instigator_data and state.instigator_data.cursor:  # type: ignore[attr-defined]
            return True
    return None


def test_a_daemon_killed_mid_delivery_neither_loses_nor_duplicates_a_trigger(
    tmp_path: Path, aws: Aws, receiver: Receiver
) -> None:
    import threading

    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    triggers = tmp_path / "triggers.json"
    triggers.write_text(
        json.dumps(
            {
                "workflows": {
                    "transform_images": {
                        "on_success": [
                            {"type": "glue_job", "job_name": GLUE_JOB},
                            {"type": "webhook", "url_env": "HOOK_URL"},
                            {"type": "sqs_mwaa", "dag_id": "after_images", "queue_url": aws.queue_url},
                            {
                                "type": "dagster_job",
                                "job": "downstream",
                                "parameter_mapping": {"n": "metrics.records_written"},
                            },
                        ]
                    }
                }
            }
        )
    )
    start = tmp_path / "start"
    env = {
        **aws.env,
        "FLOE_TEST_TRIGGERS_FILE": str(triggers),
        "FLOE_TEST_START_FILE": str(start),
        "HOOK_URL": receiver.url + "/hook",
    }
    aws.messages(aws.queue_url)  # an empty queue to start with
    receiver.hold = threading.Event()
    log = tmp_path / "daemon.log"
    instance = DagsterInstance.from_config(str(home))

    with daemon(home, env, log) as first:
        poll("the sensor's first tick", lambda: sensor_ready(instance), first, log)
        start.touch()  # the daemon launches the upstream run
        run_id = poll("the upstream run", lambda: _upstream_run(instance), first, log)
        poll("the webhook request", lambda: receiver.arrived.is_set() or None, first, log)
        with_group_killed(first)  # mid-delivery: the webhook request has not been answered
    receiver.hold.set()

    tags = instance.get_run_by_id(run_id).tags  # type: ignore[union-attr]
    assert tags[TAG_PREFIX + "on_success.0.glue_job"].startswith("delivered")
    assert tags[TAG_PREFIX + "on_success.1.webhook"].startswith("sending")
    assert TAG_PREFIX + "on_success.2.sqs_mwaa" not in tags

    receiver.hold = None
    with daemon(home, env, log) as second:
        done = poll("every trigger recorded", lambda: _all_recorded(instance, run_id), second, log)
        launched = poll("the downstream run", lambda: _downstream_succeeded(instance), second, log)
    assert all(v.startswith("delivered") for v in done.values()), done

    glue = [r for r in aws.glue_runs() if r["Arguments"].get("--triggered_by_run_id") == run_id]
    assert len(glue) == 1  # not started again
    messages = [m for m in aws.messages(aws.queue_url) if m["conf"]["triggered_by_run_id"] == run_id]
    assert len(messages) == 1  # sent once, after the restart
    (downstream,) = launched  # one run of the dagster_job target, with the mapped parameter
    assert downstream.tags["floe/triggered_by_run_id"] == run_id and downstream.tags["floe/param/n"] == "990"
    keys = [r.headers["Idempotency-Key"] for r in receiver.received]
    assert len(keys) == 2 and len(set(keys)) == 1  # the interrupted delivery, sent again as itself


def _upstream_run(instance: DagsterInstance) -> str | None:
    runs = instance.get_runs(filters=RunsFilter(job_name="transform_images"))
    return runs[0].run_id if runs else None


def _downstream_succeeded(instance: DagsterInstance) -> list[DagsterRun] | None:
    runs = instance.get_runs(filters=RunsFilter(job_name="downstream"))
    return runs if runs and all(r.status == DagsterRunStatus.SUCCESS for r in runs) else None


def _all_recorded(instance: DagsterInstance, run_id: str) -> dict[str, str] | None:
    run = instance.get_run_by_id(run_id)
    assert run is not None
    states = {k: v for k, v in run.tags.items() if k.startswith(TAG_PREFIX)}
    finished = [v for v in states.values() if not v.startswith("sending")]
    return states if len(finished) == 3 else None
