"""`type: asset`: a run when all (or any) of the watched assets materialized since the last run."""

from __future__ import annotations

import json

from dagster import RunRequest, SensorDefinition, SensorEvaluationContext, SkipReason, sensor
from floe_core.spec.orchestration.sensors import AssetSensor

from floe_dagster.keys import asset_key_from_path
from floe_dagster.orchestration.jobs import BuiltJob
from floe_dagster.orchestration.sensors.common import FLOE_SENSOR_TAG, partition_key_now, sensor_status


def asset_sensor(name: str, spec: AssetSensor, built: BuiltJob) -> SensorDefinition:
    keys = [asset_key_from_path(a) for a in spec.assets]

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
            run_key=run_key, partition_key=partition_key_now(built, context), tags={FLOE_SENSOR_TAG: name}
        )

    return sensor(
        name=name,
        job=built.definition,
        minimum_interval_seconds=spec.minimum_interval_seconds,
        default_status=sensor_status(spec.enabled),
        description=f"runs {spec.job} when {spec.require} of {', '.join(spec.assets)} materialize",
    )(evaluate)
