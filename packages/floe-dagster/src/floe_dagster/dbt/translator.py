"""dbt resource -> Dagster asset attributes (keys, owners, groups, governance metadata).

Each attribute has its own small method so later layers (asset rules from floe.yaml) can subclass and
override one concern — group, tags, automation — per key without touching the others.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from dagster import AssetKey, MetadataValue, TableColumn, TableSchema
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    group_from_dbt_resource_props_fallback_to_directory,
)

CLASSIFICATIONS_METADATA_KEY = "floe/classifications"
COLUMN_SCHEMA_METADATA_KEY = "dagster/column_schema"


class FloeDbtTranslator(DagsterDbtTranslator):
    """dagster-dbt's translator plus floe's source mapping, owners and governance classifications."""

    def __init__(
        self,
        source_keys: Mapping[str, AssetKey] | None = None,
        classifications: Mapping[str, Mapping[str, str]] | None = None,
        settings: DagsterDbtTranslatorSettings | None = None,
    ) -> None:
        super().__init__(settings or DagsterDbtTranslatorSettings(enable_asset_checks=True))
        self._source_keys = dict(source_keys or {})
        self._classifications = {model: dict(cols) for model, cols in (classifications or {}).items()}

    def fingerprint(self) -> str:
        """A digest of everything besides the manifest that the specs this translator builds depend on
        (the spec cache's key: a changed source mapping or classification must not reuse old specs)."""
        described = {
            "class": f"{type(self).__module__}.{type(self).__qualname__}",
            "settings": dataclasses.asdict(self.settings),
            "sources": {name: key.path for name, key in sorted(self._source_keys.items())},
            "classifications": self._classifications,
        }
        return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        # floe.yaml's `orchestration.dbt.sources` wins; dbt's meta.dagster.asset_key is handled by super().
        if dbt_resource_props.get("resource_type") == "source":
            mapped = self._source_keys.get(
                f"{dbt_resource_props['source_name']}.{dbt_resource_props['name']}"
            )
            if mapped is not None:
                return mapped
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        # meta.dagster.group, then the dbt group, then the first sub-folder (models/silver/x.sql -> silver).
        return group_from_dbt_resource_props_fallback_to_directory(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        declared = super().get_owners(dbt_resource_props) or _meta_owner(dbt_resource_props)
        if not declared:
            group = dbt_resource_props.get("group")
            declared = (group.get("owner") or {}).get("name") if isinstance(group, Mapping) else None
        owners = [_as_dagster_owner(o) for o in _as_list(declared)]
        return [o for o in owners if o] or None

    def get_metadata(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
        metadata = dict(super().get_metadata(dbt_resource_props))
        classified = self.classifications_for(dbt_resource_props)
        if not classified:
            return metadata
        metadata[CLASSIFICATIONS_METADATA_KEY] = MetadataValue.json(classified)
        schema = metadata.get(COLUMN_SCHEMA_METADATA_KEY)
        if isinstance(schema, TableSchema):
            metadata[COLUMN_SCHEMA_METADATA_KEY] = _tag_columns(schema, classified)
        return metadata

    def classifications_for(self, dbt_resource_props: Mapping[str, Any]) -> dict[str, str]:
        """`governance.classifications[<model name>]`: column -> classification (e.g. pii)."""
        return dict(self._classifications.get(str(dbt_resource_props.get("name")), {}))


def _meta_owner(props: Mapping[str, Any]) -> Any:
    config_meta = (props.get("config") or {}).get("meta") or {}
    return config_meta.get("owner") or (props.get("meta") or {}).get("owner")


def _as_list(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _as_dagster_owner(owner: str) -> str:
    # Dagster accepts an email or "team:<name>"; dbt projects usually write a bare team name.
    owner = owner.strip()
    if not owner or "@" in owner or owner.startswith("team:"):
        return owner
    return f"team:{owner}"


def _tag_columns(schema: TableSchema, classified: Mapping[str, str]) -> TableSchema:
    columns = [
        TableColumn(
            name=col.name,
            type=col.type,
            description=col.description,
            constraints=col.constraints,
            tags={**col.tags, "classification": classified[col.name]} if col.name in classified else col.tags,
        )
        for col in schema.columns
    ]
    return TableSchema(columns=columns, constraints=schema.constraints)
