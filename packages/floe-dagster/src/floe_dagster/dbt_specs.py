"""What floe derives from a dbt manifest for Dagster, derived once per manifest and kept on disk.

dagster-dbt turns every node into an AssetSpec (and every test into an AssetCheckSpec) with the
translator each time a code location loads: the webserver, the daemon, every run worker and step process.
At 5000 models that is ~2 s of translator calls plus ~0.7 s to parse the manifest, on every load. Those
specs depend only on the manifest, the translator's inputs (floe.yaml's source mapping and
classifications) and the installed versions, so floe builds them once — on the first load after
`floe compile` — keeps them in `floe_dagster_specs.pickle` next to the manifest (spec_cache), and later
loads read them back without parsing the manifest at all. dagster-dbt gets the manifest when dbt runs,
through `ManifestOnFirstUse`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster import AssetCheckSpec, AssetSpec
from dagster_dbt.asset_utils import build_dbt_specs
from dagster_dbt.dagster_dbt_translator import DbtManifestWrapper

from floe_dagster.locate import load_manifest
from floe_dagster.translator import FloeDbtTranslator

UNIQUE_ID_METADATA_KEY = "dagster_dbt/unique_id"
MANIFEST_METADATA_KEY = "dagster_dbt/manifest"
TRANSLATOR_METADATA_KEY = "dagster_dbt/dagster_dbt_translator"
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
        return str(spec.metadata[UNIQUE_ID_METADATA_KEY])


class ManifestOnFirstUse(DbtManifestWrapper):
    """dagster-dbt's manifest holder, reading the manifest when it is first asked for it.

    dagster-dbt reads `.manifest` when it runs dbt (to select nodes and map events to assets); loading a
    code location only carries the holder around, so loads served from the spec cache never parse it."""

    def __init__(self, path: Path) -> None:  # no super().__init__: nothing is read yet
        self.path = path

    @property
    def manifest(self) -> Mapping[str, Any]:  # type: ignore[override]  # read-only view of the field
        return load_manifest(self.path).data  # parsed once per process per file version

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ManifestOnFirstUse) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)

    def __repr__(self) -> str:
        return f"ManifestOnFirstUse({self.path})"


def manifest_sources(manifest_path: Path) -> frozenset[str]:
    """ "<source_name>.<table name>" of every dbt source in the manifest."""
    return _sources(load_manifest(manifest_path).data)


def _sources(data: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(f"{s['source_name']}.{s['name']}" for s in data["sources"].values())


def build_project_specs(manifest_path: Path, translator: FloeDbtTranslator) -> DbtProjectSpecs:
    """Parse the manifest and build every spec with dagster-dbt's own builder (what `@dbt_assets` does)."""
    data = load_manifest(manifest_path).data
    specs, check_specs = build_dbt_specs(
        translator=translator,
        manifest=data,
        select="fqn:*",
        exclude="",
        selector="",
        io_manager_key=None,
        project=None,
    )
    ordered = tuple(sorted(specs, key=lambda s: str(s.metadata[UNIQUE_ID_METADATA_KEY])))
    nodes = {
        uid: DbtNodeFacts(
            unique_id=uid,
            resource_type=str(node.get("resource_type", "")),
            fqn=tuple(node.get("fqn") or ()),
            original_file_path=str(node.get("original_file_path", "")),
        )
        for spec in ordered
        if (node := data["nodes"].get(uid := str(spec.metadata[UNIQUE_ID_METADATA_KEY]))) is not None
    }
    return DbtProjectSpecs(
        project_name=str(data.get("metadata", {}).get("project_name", "")),
        sources=_sources(data),
        nodes=nodes,
        specs=ordered,
        check_specs=tuple(check_specs),
    )
