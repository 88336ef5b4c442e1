"""floe.yaml's selections — a key glob (`raw_*`, `silver/*`, on the key written with '/') or a Dagster
selection string (`group:silver`, `tag:layer=gold`, `key:stg_orders+`, `group:a and not kind:python`) —
resolved against the planning graph (see plan)."""

from __future__ import annotations

import fnmatch

from dagster import AssetKey, AssetSelection
from floe_core.spec.orchestration.assets import is_selection_string

from floe_dagster.compat import AssetGraph


def match_pattern(pattern: str, graph: AssetGraph) -> set[AssetKey]:
    """Keys matched by a glob or a Dagster selection string; ValueError (Dagster's reason) if unparsable."""
    keys = graph.get_all_asset_keys()
    if not is_selection_string(pattern):
        return {k for k in keys if fnmatch.fnmatchcase(k.to_user_string(), pattern)}
    try:
        selection = AssetSelection.from_string(pattern)
        return set(selection.resolve(graph, allow_missing=True))
    except Exception as exc:  # Dagster raises several types for bad syntax/unknown attributes
        raise ValueError(f"invalid asset selection {pattern!r}: {exc}") from exc
