"""The dbt project's specs for a load: from the spec cache when it belongs to this manifest and floe.yaml,
else built with dagster-dbt (and cached for the next load)."""

from __future__ import annotations

from floe_core.artifacts import CompiledArtifacts
from floe_core.errors import FloeError
from floe_core.spec import FloeSpec

from floe_dagster.dbt import spec_cache
from floe_dagster.dbt.specs import DbtProjectSpecs, build_project_specs, manifest_sources
from floe_dagster.dbt.translator import FloeDbtTranslator
from floe_dagster.keys import asset_key_from_path
from floe_dagster.project import manifest_path, spec_file


def floe_translator(artifacts: CompiledArtifacts) -> FloeDbtTranslator:
    """The translator floe.yaml configures: source mapping and governance classifications."""
    return translator_for(artifacts.spec)


def translator_for(spec: FloeSpec) -> FloeDbtTranslator:
    return FloeDbtTranslator(
        source_keys={k: asset_key_from_path(v) for k, v in spec.orchestration.dbt.sources.items()},
        classifications=spec.governance.classifications,
    )


def project_specs(artifacts: CompiledArtifacts) -> DbtProjectSpecs | None:
    """The compiled dbt project's specs (None when floe.yaml has no dbt transform), from the spec cache
    when it belongs to this manifest and translator, else built (and cached for the next load)."""
    path = manifest_path(artifacts)
    if path is None:
        return None
    translator = floe_translator(artifacts)
    project = spec_cache.cached(path, translator)
    # a mapped source that does not exist is a typo: said before the slow build
    check_mapped_sources(artifacts, project.sources if project else manifest_sources(path))
    return project or spec_cache.build_and_cache(path, translator, build_project_specs)


def check_mapped_sources(artifacts: CompiledArtifacts, known: frozenset[str]) -> None:
    """`orchestration.dbt.sources` names must be sources of the dbt project."""
    for name, key in artifacts.spec.orchestration.dbt.sources.items():
        if name not in known:
            raise FloeError(
                f"{spec_file(artifacts)}: orchestration.dbt.sources: {name!r} (mapped to {key!r}) is not a"
                f" source of the dbt project; expected one of: {', '.join(sorted(known)) or 'none'}"
            )
