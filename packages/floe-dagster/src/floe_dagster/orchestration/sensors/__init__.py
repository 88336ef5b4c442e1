"""`orchestration.sensors`: file watchers, asset sensors, run-status sensors (launch or webhook), custom.

Sensors are RUNNING by default (`enabled: false` creates them stopped): a sensor declared in floe.yaml is
meant to react without someone first switching it on in the UI. A sensor never crashes on the outside
world: an unreachable folder is a SkipReason, a failing webhook a logged warning.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dagster import AssetKey, SensorDefinition
from floe_core.errors import Issue
from floe_core.paths import format_path
from floe_core.spec.orchestration import OrchestrationConfig
from floe_core.spec.orchestration.sensors import AssetSensor, CustomSensor, FileWatcherSensor, RunStatusSensor

from floe_dagster.keys import asset_key_from_path
from floe_dagster.orchestration.jobs import BuiltJob
from floe_dagster.orchestration.sensors.asset import asset_sensor
from floe_dagster.orchestration.sensors.custom import custom_sensor
from floe_dagster.orchestration.sensors.file import file_watcher
from floe_dagster.orchestration.sensors.run_status import run_status_sensors
from floe_dagster.user_code import UserCodeError


@dataclass
class BuiltSensors:
    sensors: list[SensorDefinition] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)


def build_sensors(
    config: OrchestrationConfig,
    jobs: Mapping[str, BuiltJob],
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
            missing = [(i, a) for i, a in enumerate(spec.assets) if asset_key_from_path(a) not in asset_keys]
            for i, asset in missing:
                out.issues.append(Issue(format_path((*path, "assets", i)), "no asset has this key", asset))
            if not missing:
                out.sensors.append(asset_sensor(name, spec, jobs[spec.job]))
        elif isinstance(spec, RunStatusSensor):
            out.sensors.extend(run_status_sensors(name, spec, jobs))
        elif isinstance(spec, CustomSensor):
            try:
                out.sensors.append(custom_sensor(name, spec, jobs.get(spec.job or ""), project_root))
            except UserCodeError as exc:
                out.issues.append(Issue(format_path((*path, "target")), str(exc), spec.target))
    return out
