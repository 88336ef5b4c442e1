"""Automation conditions an asset rule can attach (FR-036..FR-038)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from floe_core.spec.base import FloeModel
from floe_core.spec.orchestration._common import Cron, Timezone


class EagerAutomation(FloeModel):
    """Materialize whenever an upstream asset updates (or the asset is missing)."""

    type: Literal["eager"]


class OnCronAutomation(FloeModel):
    """Materialize once per cron tick, after all upstream assets updated since the tick."""

    type: Literal["on_cron"]
    cron: Cron
    timezone: Timezone = "UTC"


class OnMissingAutomation(FloeModel):
    """Materialize missing assets/partitions once their upstreams exist (automatic backfilling)."""

    type: Literal["on_missing"]


AutomationConfig = Annotated[
    EagerAutomation | OnCronAutomation | OnMissingAutomation, Field(discriminator="type")
]
