"""`orchestration.sensors`: file watchers, asset sensors, run-status sensors (launch or webhook), custom.

Sensors are RUNNING by default (`enabled: false` creates them stopped): a sensor declared in floe.yaml is
meant to react without someone first switching it on in the UI. A sensor never crashes on the outside
world: an unreachable folder is a SkipReason, a failing webhook a logged warning.
"""

from __future__ import annotations

import inspect
import json
import urllib.request
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dagster import (
    AssetKey,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunStatusSensorContext,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    run_status_sensor,
    sensor,
)
from floe_core.errors import Issue
from floe_core.paths import format_path
from floe_core.spec.orchestration import OrchestrationConfig
from floe_core.spec.orchestration.sensors import AssetSensor, CustomSensor, FileWatcherSensor, RunStatusSensor

from floe_dagster.jobs import BuiltJob
from floe_dagster.schedules import partition_keys
from floe_dagster.targets import import_target

FLOE_SENSOR_TAG = "floe/sensor"
FILE_TAG = "floe/file"


@dataclass
class BuiltSensors:
    sensors: list[SensorDefinition] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)


def build_sensors(
    config: OrchestrationConfig,
    jobs: dict[str, BuiltJob],
    asset_keys: Collection[AssetKey],
    project_root: Path,
) -> BuiltSensors:
    out = BuiltSensors()
    for name, spec in config.sensors.items():
        path = ("orchestration", "sensors", name)
        needed = [spec.job] if getattr(spec, "job", None) else []
        if isinstance(spec, RunStatusSensor):
            needed += spec.watch
        if any(job not in jobs for job in needed):
            continue  # the job failed to build and was reported; reference errors are floe-core's
        if isinstance(spec, FileWatcherSensor):
            out.sensors.append(file_watcher(name, spec, jobs[spec.job], project_root))
        elif isinstance(spec, AssetSensor):
            missing = [(i, a) for i, a in enumerate(spec.assets) if _key(a) not in asset_keys]
            for i, asset in missing:
                out.issues.append(Issue(format_path((*path, "assets", i)), "no asset has this key", asset))
            if not missing:
                out.sensors.append(asset_sensor(name, spec, jobs[spec.job]))
        elif isinstance(spec, RunStatusSensor):
            out.sensors.extend(run_status_sensors(name, spec, jobs))
        elif isinstance(spec, CustomSensor):
            try:
                out.sensors.append(custom_sensor(name, spec, jobs.get(spec.job or ""), project_root))
            except ValueError as exc:
                out.issues.append(Issue(format_path((*path, "target")), str(exc), spec.target))
    return out


def _key(text: str) -> AssetKey:
    return AssetKey([p for p in text.split("/") if p])


def _status(enabled: bool) -> DefaultSensorStatus:
    return DefaultSensorStatus.RUNNING if enabled else DefaultSensorStatus.STOPPED


def _partition_key(built: BuiltJob, context: SensorEvaluationContext) -> str | None:
    # A sensor-launched run of a partitioned job processes the latest partition.
    if built.partitions_def is None:
        return None
    now = datetime.now(UTC)
    return next(iter(partition_keys(built.partitions_def, "latest", now, context.instance)), None)


def file_watcher(name: str, spec: FileWatcherSensor, built: BuiltJob, project_root: Path) -> SensorDefinition:
    folder = (project_root / spec.path).resolve()

    def evaluate(context: SensorEvaluationContext) -> Iterator[RunRequest | SkipReason]:
        try:
            files = sorted(_matching(folder, spec.pattern, spec.recursive))
            seen_now = {str(f.relative_to(folder)): f.stat().st_mtime_ns for f in files}
        except OSError as exc:
            yield SkipReason(f"watched folder {folder} is unreachable: {exc}")
            return
        seen_before: dict[str, int] = json.loads(context.cursor) if context.cursor else {}
        fresh = [rel for rel, mtime in seen_now.items() if seen_before.get(rel) != mtime]
        # Cursor = the files as they are now: a changed mtime triggers again, a deleted file is forgotten.
        context.update_cursor(json.dumps(seen_now, sort_keys=True))
        if not fresh:
            yield SkipReason(f"no new or changed file matching {spec.pattern!r} in {folder}")
            return
        partition = _partition_key(built, context)
        for rel in fresh:
            yield RunRequest(
                run_key=f"{rel}@{seen_now[rel]}",
                partition_key=partition,
                tags={FLOE_SENSOR_TAG: name, FILE_TAG: str(folder / rel)},
            )

    return sensor(
        name=name,
        job=built.definition,
        minimum_interval_seconds=spec.minimum_interval_seconds,
        default_status=_status(spec.enabled),
        description=f"runs {spec.job} once per new or changed {spec.pattern} file in {folder}",
    )(evaluate)


def _matching(folder: Path, pattern: str, recursive: bool) -> Iterator[Path]:
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder")
    found = folder.rglob(pattern) if recursive else folder.glob(pattern)
    return (f for f in found if f.is_file())


def asset_sensor(name: str, spec: AssetSensor, built: BuiltJob) -> SensorDefinition:
    keys = [_key(a) for a in spec.assets]

    def evaluate(context: SensorEvaluationContext) -> RunRequest | SkipReason:
        before: dict[str, int] = json.loads(context.cursor) if context.cursor else {}
        now: dict[str, int] = {}
        for key in keys:
            records = context.instance.fetch_materializations(key, limit=1).records
            if records:
                now[key.to_user_string()] = records[0].storage_id
        advanced = [k for k, sid in now.items() if sid > before.get(k, 0)]
        ready = len(advanced) == len(keys) if spec.require == "all" else bool(advanced)
        if not ready:
            return SkipReason(
                f"waiting for {spec.require} of {spec.assets} to materialize (updated: {advanced})"
            )
        context.update_cursor(json.dumps(now, sort_keys=True))
        run_key = ",".join(f"{k}:{now[k]}" for k in sorted(now))
        return RunRequest(
            run_key=run_key, partition_key=_partition_key(built, context), tags={FLOE_SENSOR_TAG: name}
        )

    return sensor(
        name=name,
        job=built.definition,
        minimum_interval_seconds=spec.minimum_interval_seconds,
        default_status=_status(spec.enabled),
        description=f"runs {spec.job} when {spec.require} of {', '.join(spec.assets)} materialize",
    )(evaluate)


def run_status_sensors(name: str, spec: RunStatusSensor, jobs: dict[str, BuiltJob]) -> list[SensorDefinition]:
    """One Dagster sensor per watched status (Dagster's run-status sensors watch one status each)."""
    launched = jobs[spec.job].definition if spec.job else None
    built: list[SensorDefinition] = []
    for status in spec.statuses:
        sensor_name = name if len(spec.statuses) == 1 else f"{name}_{status.lower()}"
        built.append(
            run_status_sensor(
                run_status=DagsterRunStatus[status],
                name=sensor_name,
                monitored_jobs=[jobs[j].definition for j in spec.watch],
                request_job=launched,
                minimum_interval_seconds=spec.minimum_interval_seconds,
                default_status=_status(spec.enabled),
                description=f"on {status} of {', '.join(spec.watch)}: "
                + " and ".join(
                    filter(None, [spec.job and f"launch {spec.job}", spec.webhook and "POST webhook"])
                ),
            )(_react(sensor_name, spec, status))
        )
    return built


def _react(sensor_name: str, spec: RunStatusSensor, status: str) -> Callable[[RunStatusSensorContext], Any]:
    def react(context: RunStatusSensorContext) -> RunRequest | SkipReason:
        run = context.dagster_run
        if spec.webhook:
            notify(
                spec.webhook, spec.webhook_timeout_seconds, _payload(sensor_name, status, context), context
            )
        if spec.job:
            return RunRequest(
                run_key=f"{run.run_id}:{status}",
                tags={FLOE_SENSOR_TAG: sensor_name, "floe/triggered_by": run.run_id},
            )
        return SkipReason(f"notified {spec.webhook} of run {run.run_id} ({status})")

    return react


def _payload(sensor_name: str, status: str, context: RunStatusSensorContext) -> dict[str, Any]:
    run = context.dagster_run
    event = context.dagster_event
    return {
        "sensor": sensor_name,
        "status": status,
        "job": run.job_name,
        "run_id": run.run_id,
        "message": getattr(event, "message", None),
        "tags": dict(run.tags),
    }


def notify(url: str, timeout: float, payload: dict[str, Any], context: Any) -> bool:
    """POST `payload` as JSON; bounded by `timeout`; a failure is logged, never raised."""
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(1024)
        return True
    except Exception as exc:  # any network/HTTP failure: the sensor keeps working
        context.log.warning(f"webhook {url} failed ({type(exc).__name__}: {exc}); run {payload['run_id']}")
        return False


def custom_sensor(
    name: str, spec: CustomSensor, built: BuiltJob | None, project_root: Path
) -> SensorDefinition:
    """`target` is a SensorDefinition factory (no required parameters) or the evaluation function itself."""
    value = import_target(spec.target, project_root)
    if isinstance(value, SensorDefinition):
        return value
    params = [p for p in inspect.signature(value).parameters.values() if p.default is inspect.Parameter.empty]
    if not params:
        made = value()
        if not isinstance(made, SensorDefinition):
            raise ValueError(f"{spec.target}() returned {type(made).__name__}, expected a SensorDefinition")
        return made
    return sensor(
        name=name,
        job=built.definition if built else None,
        minimum_interval_seconds=spec.minimum_interval_seconds,
        default_status=_status(spec.enabled),
    )(value)
