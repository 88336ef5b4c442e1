"""What every floe.yaml sensor shares: its default status and the partition a launched run processes."""

from __future__ import annotations

from datetime import UTC, datetime

from dagster import DefaultSensorStatus, SensorEvaluationContext

from floe_dagster.orchestration.jobs import BuiltJob
from floe_dagster.orchestration.schedules import partition_keys

FLOE_SENSOR_TAG = "floe/sensor"


def sensor_status(enabled: bool) -> DefaultSensorStatus:
    return DefaultSensorStatus.RUNNING if enabled else DefaultSensorStatus.STOPPED


def partition_key_now(built: BuiltJob, context: SensorEvaluationContext) -> str | None:
    # A sensor-launched run of a partitioned job processes the latest partition.
    if built.partitions_def is None:
        return None
    now = datetime.now(UTC)
    return next(iter(partition_keys(built.partitions_def, "latest", now, context.instance)), None)
