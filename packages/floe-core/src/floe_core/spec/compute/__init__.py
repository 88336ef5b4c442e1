"""`compute:` — named targets, one active (STUB: the profiles work replaces this with typed targets)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from floe_core.spec.base import FloeModel


class ComputeConfig(FloeModel):
    default: str
    targets: dict[str, Any] = Field(min_length=1)
