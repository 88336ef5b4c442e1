"""A typed, read-only view of the parts of a dbt manifest that lineage needs (nodes, sources, columns)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class DbtColumn:
    name: str
    data_type: str | None
    description: str | None


@dataclass(frozen=True)
class DbtNode:
    unique_id: str
    resource_type: str  # model, seed, snapshot, source, test
    name: str
    package: str
    database: str | None
    schema: str | None
    identifier: str  # alias for models, identifier for sources
    description: str | None
    columns: tuple[DbtColumn, ...]
    depends_on: tuple[str, ...]
    original_file_path: str
    materialized: str | None
    attached_node: str | None  # tests: the model they test
    column_name: str | None  # tests: the tested column
    test_name: str | None  # tests: unique, not_null, ...


@dataclass(frozen=True)
class DbtManifestView:
    nodes: Mapping[str, DbtNode]
    adapter_type: str | None

    def get(self, unique_id: str) -> DbtNode | None:
        return self.nodes.get(unique_id)

    def upstream_relations(self, unique_id: str) -> list[DbtNode]:
        """Tables a node reads: its model/seed/snapshot/source parents, looking through ephemeral models."""
        found: dict[str, DbtNode] = {}
        stack = list(self.nodes[unique_id].depends_on) if unique_id in self.nodes else []
        while stack:
            parent = self.nodes.get(stack.pop())
            if parent is None or parent.unique_id in found:
                continue
            if parent.materialized == "ephemeral":
                stack.extend(parent.depends_on)
                continue
            if parent.resource_type in {"model", "seed", "snapshot", "source"}:
                found[parent.unique_id] = parent
        return sorted(found.values(), key=lambda n: n.unique_id)

    def tests_of(self, unique_id: str) -> list[DbtNode]:
        return [n for n in self.nodes.values() if n.resource_type == "test" and n.attached_node == unique_id]


def compiled_sql_path(target_path: Path, node: DbtNode) -> Path:
    return target_path / "compiled" / node.package / node.original_file_path


def compiled_sql(target_path: Path, node: DbtNode) -> str | None:
    """The compiled SQL dbt wrote for this node during the invocation (None before it ran, or for seeds)."""
    try:
        return compiled_sql_path(target_path, node).read_text(encoding="utf-8")
    except OSError:
        return None


_cache: dict[int, tuple[Mapping[str, Any], DbtManifestView]] = {}


def manifest_view(manifest: Mapping[str, Any]) -> DbtManifestView:
    """Parse once per manifest object (dagster-dbt hands the same mapping to every invocation)."""
    hit = _cache.get(id(manifest))
    if hit is not None and hit[0] is manifest:
        return hit[1]
    nodes: dict[str, DbtNode] = {}
    for section in ("nodes", "sources"):
        for uid, raw in (manifest.get(section) or {}).items():
            nodes[uid] = _node(uid, raw)
    view = DbtManifestView(nodes=nodes, adapter_type=(manifest.get("metadata") or {}).get("adapter_type"))
    _cache[id(manifest)] = (manifest, view)
    return view


def _node(uid: str, raw: Mapping[str, Any]) -> DbtNode:
    columns = tuple(
        DbtColumn(
            name=str(c.get("name") or key), data_type=c.get("data_type"), description=c.get("description")
        )
        for key, c in (raw.get("columns") or {}).items()
    )
    test_meta = raw.get("test_metadata") or {}
    return DbtNode(
        unique_id=uid,
        resource_type=str(raw.get("resource_type", "")),
        name=str(raw.get("name", "")),
        package=str(raw.get("package_name", "")),
        database=raw.get("database"),
        schema=raw.get("schema"),
        identifier=str(raw.get("identifier") or raw.get("alias") or raw.get("name", "")),
        description=raw.get("description") or None,
        columns=columns,
        depends_on=tuple((raw.get("depends_on") or {}).get("nodes") or ()),
        original_file_path=str(raw.get("original_file_path", "")),
        materialized=(raw.get("config") or {}).get("materialized"),
        attached_node=raw.get("attached_node"),
        column_name=raw.get("column_name") or (test_meta.get("kwargs") or {}).get("column_name"),
        test_name=test_meta.get("name") or None,
    )
