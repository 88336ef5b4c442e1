"""Downstream triggers and the approval gate on Dagster (seed 003; docs/triggers.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dagster import JobDefinition, SensorDefinition
from floe_core.workflows import NotificationSettings

from floe_dagster.triggers.approval import DECISION_JOB, decision_job
from floe_dagster.triggers.sensor import trigger_sensors


@dataclass
class BuiltTriggers:
    sensors: list[SensorDefinition] = field(default_factory=list)
    jobs: list[JobDefinition] = field(default_factory=list)


def build_triggers(
    triggers_file: Path | None,
    jobs: Sequence[JobDefinition],
    notifications: NotificationSettings | None = None,
) -> BuiltTriggers:
    """The sensors and the decision job when floe.yaml names a triggers file, else nothing;
    `notifications`: how to reach the approval policies' channels (floe.yaml `workflows.notifications`)."""
    if triggers_file is None:
        return BuiltTriggers()
    sensors = trigger_sensors(triggers_file, jobs, notifications=notifications or NotificationSettings())
    return BuiltTriggers(sensors=sensors, jobs=[decision_job])


__all__ = ["DECISION_JOB", "BuiltTriggers", "build_triggers"]
