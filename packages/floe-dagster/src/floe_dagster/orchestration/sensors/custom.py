"""`type: custom`: a sensor written in Python, named by `module:function` in floe.yaml."""

from __future__ import annotations

import inspect
from pathlib import Path

from dagster import SensorDefinition, sensor
from floe_core.spec.orchestration.sensors import CustomSensor

from floe_dagster.orchestration.jobs import BuiltJob
from floe_dagster.orchestration.sensors.common import sensor_status
from floe_dagster.user_code import UserCodeError, import_target


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
            raise UserCodeError(
                f"{spec.target}() returned {type(made).__name__}, expected a SensorDefinition"
            )
        return made
    return sensor(
        name=name,
        job=built.definition if built else None,
        minimum_interval_seconds=spec.minimum_interval_seconds,
        default_status=sensor_status(spec.enabled),
    )(value)
