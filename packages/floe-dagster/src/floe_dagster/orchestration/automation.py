"""Automation conditions from asset rules, and the sensor that evaluates them.

Dagster's default automation sensor is created STOPPED, so a user who configured `automation:` in
floe.yaml would see nothing happen; floe adds its own AutomationConditionSensorDefinition, RUNNING by
default, targeting exactly the assets that carry a floe-configured condition.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from dagster import (
    AssetKey,
    AssetSelection,
    AutomationCondition,
    AutomationConditionSensorDefinition,
    DefaultSensorStatus,
)
from floe_core.spec.orchestration.automation import (
    AutomationConfig,
    EagerAutomation,
    OnCronAutomation,
    OnMissingAutomation,
)

AUTOMATION_SENSOR_NAME = "floe_automation_sensor"


def automation_condition(config: AutomationConfig) -> AutomationCondition[Any]:
    if isinstance(config, EagerAutomation):
        return AutomationCondition.eager()
    if isinstance(config, OnCronAutomation):
        return AutomationCondition.on_cron(config.cron, config.timezone)
    if isinstance(config, OnMissingAutomation):
        return AutomationCondition.on_missing()
    raise TypeError(f"unsupported automation {type(config).__name__}")  # pragma: no cover - union is closed


def automation_sensor(
    automated_keys: Collection[AssetKey], minimum_interval_seconds: int = 30
) -> AutomationConditionSensorDefinition | None:
    """The RUNNING sensor evaluating floe's conditions; None when no rule configures automation."""
    if not automated_keys:
        return None
    return AutomationConditionSensorDefinition(
        AUTOMATION_SENSOR_NAME,
        target=AssetSelection.assets(*sorted(automated_keys, key=lambda k: k.to_user_string())),
        default_status=DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=minimum_interval_seconds,
        description="Evaluates the automation conditions configured in floe.yaml orchestration.assets",
    )
