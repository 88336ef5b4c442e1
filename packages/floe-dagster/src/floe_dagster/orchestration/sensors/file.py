"""`type: file_watcher`: one run per new or changed file matching a pattern under a folder."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from dagster import RunRequest, SensorDefinition, SensorEvaluationContext, SkipReason, sensor
from floe_core.spec.orchestration.sensors import FileWatcherSensor

from floe_dagster.orchestration.jobs import BuiltJob
from floe_dagster.orchestration.sensors.common import FLOE_SENSOR_TAG, partition_key_now, sensor_status

FILE_TAG = "floe/file"


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
        partition = partition_key_now(built, context)
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
        default_status=sensor_status(spec.enabled),
        description=f"runs {spec.job} once per new or changed {spec.pattern} file in {folder}",
    )(evaluate)


def _matching(folder: Path, pattern: str, recursive: bool) -> Iterator[Path]:
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder")
    found = folder.rglob(pattern) if recursive else folder.glob(pattern)
    return (f for f in found if f.is_file())
