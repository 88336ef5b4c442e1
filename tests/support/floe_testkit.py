"""Shared test helpers (importable as `floe_testkit`). Under CI=true a missing service or package fails, never skips."""

from __future__ import annotations

import os

import pytest


def require(condition: bool, what: str) -> None:
    """Skip locally when `what` is unavailable; fail under CI so nothing is silently not tested."""
    if condition:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"required for this test but unavailable in CI: {what}")
    pytest.skip(f"unavailable: {what}")
