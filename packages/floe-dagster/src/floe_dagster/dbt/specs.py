"""What floe derives from a dbt manifest for Dagster, derived once per manifest and kept on disk.

dagster-dbt turns every node into an AssetSpec (and every test into an AssetCheckSpec) with the
translator each time a code location loads: the webserver, the daemon, every run worker and step process.
At 5000 models that is ~2 s of translator calls plus ~0.7 s to parse the manifest, on every load. Those
specs depend only on the manifest, the translator's inputs (floe.yaml's source mapping and
classifications) and the installed versions, so floe builds them once (dbt.load), keeps them next to
the manifest (spec_cache), and later loads read them back without parsing the manifest at all. dagster-dbt gets the
manifest when dbt runs, through `ManifestOnFirstUse`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster import AssetCheckSpec, AssetKey, AssetSpec
from dagster_dbt import dbt_assets

from floe_dagster.compat import DbtManifestWrapper
from floe_dagster.dbt.translator import FloeDbtTranslator
from floe_dagster.keys import dbt_unique_id
from floe_dagster.project import load_manifest

ASSET_RESOURCE_TYPES = frozenset({"model", "seed", "snapshot"})  # the nodes dagster-dbt makes assets of


@dataclass(frozen=True)
class DbtNodeFacts:
    """The few facts floe itself reads of a node at load (selections, error messages)."""

    unique_id: str
    resource_type: str  # model | seed | snapshot
    fqn: tuple[str, ...]
    original_file_path: str


@dataclass(frozen=True)
class DbtProjectSpecs:
    """dagster-dbt's specs for every asset node of a manifest (floe's translator), plus node facts."""

    project_name: str
    sources: frozenset[str]  # "<source_name>.<table name>" of every dbt source
    nodes: Mapping[str, DbtNodeFacts]  # unique_id -> facts, for the nodes that have a spec
    specs: tuple[AssetSpec, ...]  # sorted by unique_id
    check_specs: tuple[AssetCheckSpec, ...]

    def unique_id(self, spec: AssetSpec) -> str:
        uid = dbt_unique_id(spec)
        assert uid is not None, spec.key  # every spec here is a dbt node's
        return uid

    def origins(self) -> dict[AssetKey, str]:
        """Asset key -> 'dbt model model.x.y (models/y.sql)', for duplicate-key errors."""
        found: dict[AssetKey, str] = {}
        for spec in self.specs:
            uid = self.unique_id(spec)
            node = self.nodes.get(uid)
            kind = node.resource_type if node else "node"
            found[spec.key] = f"dbt {kind} {uid} ({node.original_file_path if node else '?'})"
        return found


class ManifestOnFirstUse(DbtManifestWrapper):
    """dagster-dbt's manifest holder, reading the manifest when it is first asked for it.

    dagster-dbt reads `.manifest` when it runs dbt (to select nodes and map events to assets); loading a
    code location only carries the holder around, so loads served from the spec cache never parse it."""

    def __init__(self, path: Path) -> None:  # no super().__init__: nothing is read yet
        self.path = path

    @property
    def manifest(self) -> Mapping[str, Any]:  # type: ignore[override]  # read-only view of the field
        return load_manifest(self.path).raw  # parsed once per process per file version

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ManifestOnFirstUse) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)

    def __repr__(self) -> str:
        return f"ManifestOnFirstUse({self.path})"


def manifest_sources(path: Path) -> frozenset[str]:
    """ "<source_name>.<table name>" of every dbt source in the manifest."""
    return _sources(load_manifest(path).raw)


def _sources(data: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(f"{s['source_name']}.{s['name']}" for s in data["sources"].values())


def build_project_specs(path: Path, translator: FloeDbtTranslator) -> DbtProjectSpecs:
    """Every spec of the manifest, exactly as dagster-dbt's `@dbt_assets` builds them (its public API:
    the decorated multi-asset is only read for its specs and check specs, never used)."""
    data = load_manifest(path).raw

    @dbt_assets(manifest=data, dagster_dbt_translator=translator)
    def _specs_only(context):  # type: ignore[no-untyped-def]  # never executed: read for its specs
        raise NotImplementedError

    ordered = tuple(sorted(_specs_only.specs, key=lambda s: str(dbt_unique_id(s))))
    nodes = {
        uid: DbtNodeFacts(
            unique_id=uid,
            resource_type=str(node.get("resource_type", "")),
            fqn=tuple(node.get("fqn") or ()),
            original_file_path=str(node.get("original_file_path", "")),
        )
        for spec in ordered
        if (node := data["nodes"].get(uid := str(dbt_unique_id(spec)))) is not None
    }
    return DbtProjectSpecs(
        project_name=str(data.get("metadata", {}).get("project_name", "")),
        sources=_sources(data),
        nodes=nodes,
        specs=ordered,
        check_specs=tuple(sorted(_specs_only.check_specs, key=lambda c: c.key.to_user_string())),
    )
