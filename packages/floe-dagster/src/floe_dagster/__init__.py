"""floe_dagster: Dagster Definitions from floe CompiledArtifacts."""

from floe_dagster.definitions import FloeDefinitions, build_definitions
from floe_dagster.resources import DuckDBResource, PostgresResource

__all__ = ["DuckDBResource", "FloeDefinitions", "PostgresResource", "build_definitions"]
