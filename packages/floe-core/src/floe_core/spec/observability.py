"""`observability:` — OpenLineage and OpenTelemetry settings (STUB: the observability work fleshes it out)."""

from __future__ import annotations

from pydantic import Field

from floe_core.spec.base import FloeModel


class ObservabilityConfig(FloeModel):
    attributes: dict[str, str] = Field(default_factory=dict, description="attributes added to every span")
