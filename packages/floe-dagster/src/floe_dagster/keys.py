"""How floe names assets: floe.yaml's path form of an asset key, and the dbt node behind a dbt asset."""

from __future__ import annotations

from dagster import AssetKey, AssetsDefinition, AssetSpec

from floe_dagster.compat import DBT_UNIQUE_ID_METADATA_KEY


def asset_key_from_path(path: str) -> AssetKey:
    """'bronze/raw_customers' -> AssetKey(['bronze', 'raw_customers']): how floe.yaml spells asset keys."""
    return AssetKey([part for part in path.split("/") if part])


def dbt_unique_id(spec: AssetSpec) -> str | None:
    """The dbt node (e.g. 'model.shop.orders') a dbt asset stands for; None for other assets."""
    uid = (spec.metadata or {}).get(DBT_UNIQUE_ID_METADATA_KEY)
    return uid if isinstance(uid, str) else None


def dbt_unique_ids(assets_def: AssetsDefinition) -> dict[str, AssetKey]:
    """unique_id -> asset key for the dbt nodes an assets definition builds ({} for other assets)."""
    return {uid: spec.key for spec in assets_def.specs if (uid := dbt_unique_id(spec)) is not None}
