"""The PostgreSQL database fixture of packages/floe-api/tests, shared with these end-to-end tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "floe_api_test_conftest", Path(__file__).resolve().parents[2] / "packages/floe-api/tests/conftest.py"
)
assert _spec and _spec.loader
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
postgres_url = _module.postgres_url
