"""floe_dagster: Dagster Definitions from floe CompiledArtifacts.

The names below are imported on first use (PEP 562), so that importing a light sub-module — the `floe`
command's registration in floe_dagster.cli, a constant — does not import Dagster, which takes seconds.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from floe_dagster.definitions import FloeDefinitions, build_definitions
    from floe_dagster.resources import DuckDBResource, PostgresResource

_HOMES = {
    "FloeDefinitions": "floe_dagster.definitions",
    "build_definitions": "floe_dagster.definitions",
    "DuckDBResource": "floe_dagster.resources",
    "PostgresResource": "floe_dagster.resources",
}
__all__ = ["DuckDBResource", "FloeDefinitions", "PostgresResource", "build_definitions"]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'floe_dagster' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later lookups skip this function
    return value
