"""The code location of the daemon-restart test: the upstream jobs, floe's trigger sensors on the triggers
file named by $FLOE_TEST_TRIGGERS_FILE, and a sensor that launches one upstream run once
$FLOE_TEST_START_FILE exists (a run-status sensor watches runs launched from its own code location)."""

import os
from pathlib import Path

from dagster import DefaultSensorStatus, Definitions, RunRequest, SkipReason, sensor
from floe_dagster.triggers import build_triggers
from upstream_jobs import JOBS, transform_images

triggers = build_triggers(Path(os.environ["FLOE_TEST_TRIGGERS_FILE"]), JOBS)


@sensor(job=transform_images, minimum_interval_seconds=1, default_status=DefaultSensorStatus.RUNNING)
def start_upstream() -> RunRequest | SkipReason:
    if not Path(os.environ["FLOE_TEST_START_FILE"]).exists():
        return SkipReason("not yet")
    config = {"ops": {"transform": {"config": {"passed": True}}}}
    return RunRequest(run_key="the-upstream-run", run_config=config)


defs = Definitions(jobs=[*JOBS, *triggers.jobs], sensors=[*triggers.sensors, start_upstream])
