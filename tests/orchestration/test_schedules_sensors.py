"""Schedule ticks, file watcher, asset sensor, run-status webhook and automation precedence — evaluated
against a real Dagster instance, with Definitions built by the factory from floe.yaml."""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

from dagster import (
    DagsterEventType,
    DagsterInstance,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    build_run_status_sensor_context,
    build_schedule_context,
    build_sensor_context,
)
from orch_support import project_defs

PIPELINE = """
partitions:
  daily: {type: time_window, start: 2024-01-01, timezone: Europe/Paris}
  regions: {type: static, keys: [eu, us, apac]}
assets:
  - {select: [raw_events, "group:silver"], partitions: daily}
  - {select: "group:regions", partitions: regions}
jobs:
  daily_pipeline: {type: batch, groups: [bronze, silver]}
  regional: {type: batch, selection: "group:regions"}
  report_job: {type: batch, keys: [report]}
schedules:
  nightly: {job: daily_pipeline, cron: "0 2 * * *", timezone: Europe/Paris}
  all_regions: {job: regional, cron: "0 3 * * *", partition_selector: all, enabled: false}
  hourly_report: {job: report_job, cron: "15 * * * *"}
sensors:
  landing: {type: file_watcher, job: report_job, path: landing, pattern: "*.csv", minimum_interval_seconds: 5}
  after_silver: {type: asset_sensor, job: report_job, assets: [daily_counts]}
"""


def test_daily_schedule_requests_yesterday_in_its_timezone(tmp_path: Path, instance: DagsterInstance) -> None:
    defs = project_defs(tmp_path, PIPELINE)
    schedule = defs.resolve_schedule_def("nightly")
    assert schedule.execution_timezone == "Europe/Paris"
    assert schedule.default_status == DefaultScheduleStatus.RUNNING
    # 00:30 in Paris on March 10 is still March 9 in UTC: the partition follows the Paris calendar.
    tick = datetime(2024, 3, 10, 0, 30, tzinfo=ZoneInfo("Europe/Paris"))
    with build_schedule_context(
        instance, repository_def=defs.get_repository_def(), scheduled_execution_time=tick
    ) as context:
        data = schedule.evaluate_tick(context)
    assert [r.partition_key for r in data.run_requests or []] == ["2024-03-09"]


def test_all_selector_requests_every_static_partition_and_disabled_is_stopped(
    tmp_path: Path, instance: DagsterInstance
) -> None:
    defs = project_defs(tmp_path, PIPELINE)
    schedule = defs.resolve_schedule_def("all_regions")
    assert schedule.default_status == DefaultScheduleStatus.STOPPED
    with build_schedule_context(
        instance, repository_def=defs.get_repository_def(), scheduled_execution_time=datetime(2024, 5, 1, 3)
    ) as context:
        data = schedule.evaluate_tick(context)
    requests = data.run_requests or []
    assert sorted(r.partition_key or "" for r in requests) == ["apac", "eu", "us"]
    assert len({r.run_key for r in requests}) == 3

    # a later tick launches only what the schedule never launched (issue 16.11): runs as the daemon makes them
    job = defs.resolve_job_def("regional")
    for key in ("eu", "us"):
        assert job.execute_in_process(instance=instance, partition_key=key, tags=requests[0].tags).success
    with build_schedule_context(
        instance, repository_def=defs.get_repository_def(), scheduled_execution_time=datetime(2024, 5, 2, 3)
    ) as context:
        later = schedule.evaluate_tick(context)
    assert [r.partition_key for r in later.run_requests or []] == ["apac"]


def test_unpartitioned_schedule_requests_one_run(tmp_path: Path, instance: DagsterInstance) -> None:
    defs = project_defs(tmp_path, PIPELINE)
    with build_schedule_context(
        instance,
        repository_def=defs.get_repository_def(),
        scheduled_execution_time=datetime(2024, 5, 1, 3, 15),
    ) as context:
        data = defs.resolve_schedule_def("hourly_report").evaluate_tick(context)
    assert len(data.run_requests or []) == 1
    assert data.run_requests[0].partition_key is None  # type: ignore[index]


def test_file_watcher_triggers_once_per_new_or_changed_file(
    tmp_path: Path, instance: DagsterInstance
) -> None:
    defs = project_defs(tmp_path, PIPELINE)
    sensor = defs.resolve_sensor_def("landing")
    assert sensor.default_status == DefaultSensorStatus.RUNNING
    assert sensor.minimum_interval_seconds == 5

    def tick(cursor: str | None) -> tuple[list[str], str | None]:
        context = build_sensor_context(instance=instance, cursor=cursor, sensor_name="landing")
        data = sensor.evaluate_tick(context)
        return [r.tags["floe/file"] for r in data.run_requests or []], data.cursor

    files, cursor = tick(None)  # the folder does not exist yet: skipped, not a crash
    assert files == []
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "orders.csv").write_text("id\n1\n")
    (landing / "ignored.txt").write_text("x")
    files, cursor = tick(cursor)
    assert files == [str(landing / "orders.csv")]
    files, cursor = tick(cursor)
    assert files == []
    os.utime(landing / "orders.csv", ns=(1, 2_000_000_000_000_000_000))
    files, cursor = tick(cursor)
    assert files == [str(landing / "orders.csv")]


def test_asset_sensor_fires_after_materialization(tmp_path: Path, instance: DagsterInstance) -> None:
    defs = project_defs(tmp_path, PIPELINE)
    sensor = defs.resolve_sensor_def("after_silver")
    data = sensor.evaluate_tick(build_sensor_context(instance=instance, sensor_name="after_silver"))
    assert not data.run_requests
    job = defs.resolve_job_def("daily_pipeline")
    assert job.execute_in_process(instance=instance, partition_key="2024-02-01").success
    data = sensor.evaluate_tick(
        build_sensor_context(instance=instance, cursor=data.cursor, sensor_name="after_silver")
    )
    assert len(data.run_requests or []) == 1
    again = sensor.evaluate_tick(
        build_sensor_context(instance=instance, cursor=data.cursor, sensor_name="after_silver")
    )
    assert not again.run_requests


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict[str, object]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


FAILING = """
from dagster import asset

@asset(group_name="fragile")
def fragile() -> None:
    raise RuntimeError("disk full")
"""


def test_run_failure_posts_to_webhook_and_launches_job(tmp_path: Path, instance: DagsterInstance) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/hook?token=S3cr3tT0k"
    try:
        defs = project_defs(
            tmp_path,
            f"""
jobs:
  fragile_job: {{type: batch, groups: [fragile]}}
  cleanup: {{type: batch, groups: [fragile]}}
sensors:
  on_failure: {{type: run_status, watch: [fragile_job], statuses: [FAILURE], job: cleanup, webhook: "{url}"}}
  dead_hook:
    {{type: run_status, watch: [fragile_job], webhook: "http://127.0.0.1:9/none?token=S3cr3tT0k", webhook_timeout_seconds: 1}}
""",
            FAILING,
        )
        result = defs.resolve_job_def("fragile_job").execute_in_process(
            instance=instance, raise_on_error=False, tags={".dagster/grpc_info": '{"host": "localhost"}'}
        )
        assert not result.success
        run = instance.get_run_by_id(result.run_id)
        failure = instance.all_logs(result.run_id, of_type=DagsterEventType.RUN_FAILURE)[0].dagster_event
        assert run is not None and failure is not None
        said: dict[str, list[str]] = {}
        for name in ("on_failure", "dead_hook", "dead_hook"):
            sensor = defs.resolve_sensor_def(name)
            context = build_run_status_sensor_context(
                sensor_name=name, dagster_instance=instance, dagster_run=run, dagster_event=failure
            )
            out = sensor(context)
            if name == "on_failure":
                assert isinstance(out, RunRequest) and out.run_key == f"{result.run_id}:FAILURE"
            else:
                said.setdefault(name, []).append(out.skip_message)  # type: ignore[union-attr]
        assert len(_Receiver.received) == 1
        payload = _Receiver.received[0]
        assert payload["run_id"] == result.run_id and payload["status"] == "FAILURE"
        assert any("disk full" in e for e in payload["errors"])  # the exception's text, not just "failed"
        assert not [k for k in payload["tags"] if k.startswith(".dagster")]  # code server host and socket
        # issue 16.2/16.13: the tick message says what happened, without the URL's query; the second run in
        # the same cooldown does not wait for the dead endpoint's timeout again
        first, second = said["dead_hook"]
        assert "webhook http://127.0.0.1:9/none (query hidden) failed (" in first and "notified" not in first
        assert "skipped: it failed less than" in second
        assert "S3cr3tT0k" not in first + second
    finally:
        server.shutdown()


def test_automation_condition_wins_over_schedule(tmp_path: Path, instance: DagsterInstance) -> None:
    defs = project_defs(
        tmp_path,
        """
partitions:
  daily: {type: time_window, start: 2024-01-01}
assets:
  - {select: "group:gold", automation: {type: eager}}
jobs:
  everything: {type: batch, keys: [report, regional]}
  only_report: {type: batch, keys: [report]}
schedules:
  mixed: {job: everything, cron: "0 4 * * *"}
  gold_only: {job: only_report, cron: "0 5 * * *"}
""",
    )
    automation = defs.resolve_sensor_def("floe_automation_sensor")
    assert automation.default_status == DefaultSensorStatus.RUNNING
    assert defs.resolve_schedule_def("gold_only").default_status == DefaultScheduleStatus.STOPPED
    with build_schedule_context(
        instance, repository_def=defs.get_repository_def(), scheduled_execution_time=datetime(2024, 5, 1, 4)
    ) as context:
        data = defs.resolve_schedule_def("mixed").evaluate_tick(context)
    (request,) = data.run_requests or []
    assert [k.to_user_string() for k in request.asset_selection or []] == ["regional"]
