"""`orchestration.sensors`: file watchers, asset sensors, run-status sensors, custom sensors."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from floe_core.spec.base import FloeModel
from floe_core.spec.orchestration._common import Name, Target

Interval = Annotated[int, Field(ge=1, description="minimum seconds between evaluations")]


class FileWatcherSensor(FloeModel):
    """One run per new or changed file (keyed by path + mtime) under `path` matching `pattern`."""

    type: Literal["file_watcher"]
    job: Name
    path: str = Field(description="folder to watch, relative to floe.yaml or absolute")
    pattern: str = Field(default="*", description="glob matched against file names, e.g. '*.csv'")
    recursive: bool = False
    minimum_interval_seconds: Interval = 30
    enabled: bool = True


class AssetSensor(FloeModel):
    """Launches `job` when watched assets materialize (any of them, or all since the last launch)."""

    type: Literal["asset_sensor"]
    job: Name
    assets: list[str] = Field(min_length=1, description="watched asset keys, 'a/b' for multi-part keys")
    require: Literal["any", "all"] = "any"
    minimum_interval_seconds: Interval = 30
    enabled: bool = True


class RunStatusSensor(FloeModel):
    """Reacts when watched jobs reach a status: launches `job` and/or POSTs to `webhook`."""

    type: Literal["run_status"]
    watch: list[Name] = Field(min_length=1, description="names of orchestration.jobs entries")
    statuses: list[Literal["SUCCESS", "FAILURE", "CANCELED"]] = Field(default=["FAILURE"], min_length=1)
    job: Name | None = Field(default=None, description="job to launch")
    webhook: str | None = Field(default=None, pattern=r"^https?://", description="URL receiving a JSON POST")
    webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    minimum_interval_seconds: Interval = 30
    enabled: bool = True

    @model_validator(mode="after")
    def _has_action(self) -> RunStatusSensor:
        if self.job is None and self.webhook is None:
            raise ValueError(
                "run_status sensor has no action: expected `job` (launch) and/or `webhook` (POST)"
            )
        return self


class CustomSensor(FloeModel):
    """`target` returns a SensorDefinition, or is a sensor function (evaluated with `job` as its target)."""

    type: Literal["custom"]
    target: Target
    job: Name | None = None
    minimum_interval_seconds: Interval = 30
    enabled: bool = True


SensorConfig = Annotated[
    FileWatcherSensor | AssetSensor | RunStatusSensor | CustomSensor, Field(discriminator="type")
]
