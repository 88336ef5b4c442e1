"""Does a Dagster asset graph equal the dbt DAG? (SC-003: asset deps match dbt with 100% accuracy.)

Computed independently of dagster-dbt's own dependency code: straight from the manifest's `parent_map`,
walking through ephemeral models (which are not assets) to their nearest asset or source ancestors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dagster import AssetKey, Definitions
from dagster_dbt import DagsterDbtTranslator

from floe_dagster.compat import DBT_TRANSLATOR_METADATA_KEY, DBT_UNIQUE_ID_METADATA_KEY
from floe_dagster.dbt.specs import ASSET_RESOURCE_TYPES

KeyFor = Callable[[Mapping[str, Any]], AssetKey]


def _node(manifest: Mapping[str, Any], uid: str) -> Mapping[str, Any]:
    found: Mapping[str, Any] = manifest["nodes"].get(uid) or manifest["sources"].get(uid) or {}
    return found


def _is_asset(node: Mapping[str, Any]) -> bool:
    kind = node.get("resource_type")
    if kind == "source":
        return True
    return kind in ASSET_RESOURCE_TYPES and (node.get("config") or {}).get("materialized") != "ephemeral"


def expected_dbt_deps(manifest: Mapping[str, Any], key_for: KeyFor) -> dict[AssetKey, set[AssetKey]]:
    """Asset key of every dbt asset node -> keys of its upstream assets/sources, through ephemerals."""
    parent_map: Mapping[str, list[str]] = manifest["parent_map"]

    def upstream(uid: str, seen: set[str]) -> set[AssetKey]:
        keys: set[AssetKey] = set()
        for parent in parent_map.get(uid, []):
            if parent in seen:
                continue
            seen.add(parent)
            node = _node(manifest, parent)
            if _is_asset(node):
                keys.add(key_for(node))
            elif node.get("resource_type") == "model":  # ephemeral: look through it
                keys |= upstream(parent, seen)
        return keys

    return {
        key_for(node): upstream(uid, set())
        for uid, node in manifest["nodes"].items()
        if node.get("resource_type") != "source" and _is_asset(node)
    }


def asset_graph_mismatches(
    defs: Definitions, manifest: Mapping[str, Any], translator: DagsterDbtTranslator | None = None
) -> list[str]:
    """Human-readable differences between `defs`' asset graph and the dbt DAG; [] when they agree.

    `translator` maps dbt nodes to keys; by default the one the dbt assets in `defs` were built with.
    """
    graph = defs.resolve_asset_graph()
    dbt_keys = {
        key for key in graph.get_all_asset_keys() if DBT_UNIQUE_ID_METADATA_KEY in graph.get(key).metadata
    }
    if translator is None:
        found = [graph.get(k).metadata.get(DBT_TRANSLATOR_METADATA_KEY) for k in dbt_keys]
        translator = next((t for t in found if isinstance(t, DagsterDbtTranslator)), DagsterDbtTranslator())
    expected = expected_dbt_deps(manifest, translator.get_asset_key)
    problems = [f"dbt node {k.to_user_string()} has no asset" for k in expected.keys() - dbt_keys]
    problems += [f"asset {k.to_user_string()} is not a dbt asset node" for k in dbt_keys - expected.keys()]
    for key in sorted(expected.keys() & dbt_keys, key=lambda k: k.to_user_string()):
        actual = set(graph.get(key).parent_keys)
        if actual != expected[key]:
            missing = sorted(k.to_user_string() for k in expected[key] - actual)
            extra = sorted(k.to_user_string() for k in actual - expected[key])
            problems.append(f"{key.to_user_string()}: missing deps {missing}, unexpected deps {extra}")
    return problems
