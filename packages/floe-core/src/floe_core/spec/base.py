"""Base class for every floe.yaml model: immutable, and unknown keys are errors."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class FloeModel(BaseModel):
    """Frozen, extra-forbidding pydantic model; every spec and artifact model derives from it."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
