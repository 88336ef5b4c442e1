"""Sensors that start workflows on something other than a clock (contract §7.1, §8.2).

- `<workflow>_file_arrival` (schedule `{trigger: file_arrival | s3_file_arrival}`): one run per new file
  under `source` matching `pattern`; run key = path + modification time (a file rewritten later runs
  again), the path in the run tag `floe/trigger_file` (the `{{ trigger_file }}` template variable). The
  cursor keeps the newest modification time seen, so each tick reads the listing but requests only files
  newer than it. S3 goes through boto3 (`AWS_ENDPOINT_URL` points it at MinIO, moto, ...).
- `<workflow>_dependencies` (`dependencies:`): launches window W of the downstream workflow once, for
  every dependency, the upstream windows overlapping W have succeeded (`wait_for_completion: true`) or at
  least been launched (`false`). It replaces the downstream's schedule: a dependent window starts when its
  inputs are there, not at a clock tick. Candidate windows come from the upstream's recent runs (bounded).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    JobDefinition,
    RunRequest,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)
from floe_core.workflows import (
    LoadedWorkflow,
    WorkflowSet,
    overlapping_windows,
    partition_key,
    window_for_partition_key,
)
from floe_core.workflows.durations import parse_duration
from floe_core.workflows.schedules import EventSchedule
from floe_core.workflows.windows import Window
from floe_core.workflows.workflow import WorkflowSpec

from floe_dagster.workflows.run_tags import DATE_TAG, TRIGGER_FILE_TAG

PARTITION_TAG = "dagster/partition"
RECENT_RUNS = 50  # upstream runs read per dependency per tick
_LAUNCHED = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.SUCCESS,
]


@dataclass(frozen=True)
class ArrivedFile:
    path: str  # absolute local path or s3://bucket/key
    mtime_ns: int


def list_local(folder: Path, pattern: str) -> Iterator[ArrivedFile]:
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        if path.is_file() and fnmatch.fnmatch(path.relative_to(folder).as_posix(), pattern):
            yield ArrivedFile(str(path), path.stat().st_mtime_ns)


def list_s3(uri: str, pattern: str) -> Iterator[ArrivedFile]:
    import boto3  # optional (floe-data-dagster[s3]): only S3 sources need it

    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    client = boto3.client("s3")  # endpoint from AWS_ENDPOINT_URL (boto3 >= 1.28)
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            key = item["Key"]
            if not key.endswith("/") and fnmatch.fnmatch(key[len(prefix) :], pattern):
                yield ArrivedFile(f"s3://{bucket}/{key}", int(item["LastModified"].timestamp() * 1e9))


def new_files(files: Iterator[ArrivedFile], cursor: str | None) -> tuple[list[ArrivedFile], str]:
    """Files newer than the cursor (newest mtime seen + the paths having it), and the next cursor."""
    state = json.loads(cursor) if cursor else {"mtime_ns": -1, "paths": []}
    newest, seen = int(state["mtime_ns"]), set(state["paths"])
    fresh = [f for f in files if f.mtime_ns > newest or (f.mtime_ns == newest and f.path not in seen)]
    fresh.sort(key=lambda f: (f.mtime_ns, f.path))
    if fresh:
        top = fresh[-1].mtime_ns
        if top > newest:
            seen = set()
        newest = top
        seen |= {f.path for f in fresh if f.mtime_ns == top}
    return fresh, json.dumps({"mtime_ns": newest, "paths": sorted(seen)})


def file_arrival_sensor(loaded: LoadedWorkflow, job: JobDefinition, project_root: Path) -> SensorDefinition:
    schedule = loaded.spec.schedule
    assert isinstance(schedule, EventSchedule)

    def listing() -> Iterator[ArrivedFile]:
        if schedule.is_s3:
            return list_s3(schedule.source, schedule.pattern)
        return list_local((project_root / schedule.source).resolve(), schedule.pattern)

    @sensor(
        name=f"{loaded.name}_file_arrival",
        job=job,
        minimum_interval_seconds=parse_duration(schedule.poll_interval),
        default_status=DefaultSensorStatus.RUNNING,
        description=f"workflow {loaded.name}: one run per new file under {schedule.source}",
    )
    def _sensor(context: SensorEvaluationContext) -> Iterator[RunRequest | SkipReason]:
        fresh, cursor = new_files(listing(), context.cursor)
        context.update_cursor(cursor)
        if not fresh:
            yield SkipReason(f"no new file under {schedule.source} matching {schedule.pattern}")
        for arrived in fresh:
            yield RunRequest(
                run_key=f"{arrived.path}@{arrived.mtime_ns}",
                tags={
                    TRIGGER_FILE_TAG: arrived.path,
                    DATE_TAG: datetime.fromtimestamp(arrived.mtime_ns / 1e9, UTC).isoformat(),
                },
            )

    return _sensor


def dependency_sensor(loaded: LoadedWorkflow, job: JobDefinition, workflows: WorkflowSet) -> SensorDefinition:
    spec = loaded.spec
    schedule = spec.windowed_schedule
    assert schedule is not None  # floe-core: a dependency links windows, both sides are scheduled
    upstreams = [(d, workflows.get(d.workflow).spec) for d in spec.dependencies]

    @sensor(
        name=f"{loaded.name}_dependencies",
        job=job,
        minimum_interval_seconds=30,
        default_status=DefaultSensorStatus.RUNNING,
        description=f"workflow {loaded.name}: a window runs once "
        + ", ".join(d.workflow for d in spec.dependencies)
        + " finished it",
    )
    def _sensor(context: SensorEvaluationContext) -> Iterator[RunRequest | SkipReason]:
        instance = context.instance

        def done(workflow: str, keys: list[str], wait: bool) -> bool:
            statuses = [DagsterRunStatus.SUCCESS] if wait else _LAUNCHED
            for key in keys:
                runs = instance.get_run_records(
                    RunsFilter(job_name=workflow, statuses=statuses, tags={PARTITION_TAG: key}), limit=1
                )
                if not runs:
                    return False
            return True

        candidates: set[str] = set()
        for _dependency, upstream in upstreams:
            up_schedule = upstream.windowed_schedule
            assert up_schedule is not None
            records = instance.get_run_records(
                RunsFilter(job_name=upstream.name, statuses=_LAUNCHED), limit=RECENT_RUNS
            )
            for record in records:
                key = record.dagster_run.tags.get(PARTITION_TAG)
                if key is None:
                    continue
                window = window_for_partition_key(up_schedule, key)
                candidates |= {partition_key(schedule, w) for w in overlapping_windows(schedule, window)}
        requested = False
        for key in sorted(candidates):
            window = window_for_partition_key(schedule, key)
            ready = all(
                done(upstream.name, _upstream_keys(upstream, window), dependency.wait_for_completion)
                for dependency, upstream in upstreams
            )
            if ready:
                requested = True
                yield RunRequest(run_key=f"dependencies:{key}", partition_key=key)
        if not requested:
            yield SkipReason("no window whose upstream workflows are done")

    return _sensor


def _upstream_keys(upstream: WorkflowSpec, window: Window) -> list[str]:
    up_schedule = upstream.windowed_schedule
    assert up_schedule is not None
    return [partition_key(up_schedule, w) for w in overlapping_windows(up_schedule, window)]
