"""Which dbt node (model, seed, snapshot or source) stands behind a Dagster asset key.

Python assets that produce a dbt source (mapped by the factory's translator) then emit lineage for the
very dataset dbt reads, so lineage connects bronze (Python) -> silver -> gold (dbt) end to end (SC-003).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dagster import AssetKey, AssetsDefinition

from floe_dagster.compat import get_manifest_and_translator_from_dbt_assets
from floe_dagster.keys import dbt_unique_ids
from floe_dagster.observability.lineage.dbt_nodes import DbtManifestView, DbtNode, manifest_view


@dataclass(frozen=True)
class DbtKeyIndex:
    view: DbtManifestView | None
    nodes_by_key: Mapping[AssetKey, DbtNode]


_cache: dict[int, tuple[object, DbtKeyIndex]] = {}


def index_assets(owner: object, assets_defs: Iterable[AssetsDefinition]) -> DbtKeyIndex:
    """Index every dbt node of the given definitions by asset key; cached per `owner` (a repository)."""
    hit = _cache.get(id(owner))
    if hit is not None and hit[0] is owner:
        return hit[1]
    nodes: dict[AssetKey, DbtNode] = {}
    view: DbtManifestView | None = None
    for assets_def in {id(a): a for a in assets_defs}.values():
        uids = dbt_unique_ids(assets_def)
        if not uids:
            continue
        manifest, translator, project = get_manifest_and_translator_from_dbt_assets([assets_def])
        view = manifest_view(manifest)
        for uid, key in uids.items():
            if (node := view.get(uid)) is not None:
                nodes[key] = node
        for uid in manifest.get("sources") or {}:
            try:
                key = translator.get_asset_spec(manifest, uid, project).key
            except Exception:  # a custom translator may not handle sources: skip them
                continue
            if (node := view.get(uid)) is not None:
                nodes.setdefault(key, node)
    index = DbtKeyIndex(view=view, nodes_by_key=nodes)
    _cache[id(owner)] = (owner, index)
    return index
