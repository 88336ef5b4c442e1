"""`governance:` — column classifications carried into asset metadata and lineage facets."""

from __future__ import annotations

from pydantic import Field

from floe_core.spec.base import FloeModel


class GovernanceConfig(FloeModel):
    classifications: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="model name -> column name -> classification (e.g. pii)"
    )
