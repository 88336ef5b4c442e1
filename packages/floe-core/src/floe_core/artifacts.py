"""CompiledArtifacts: the versioned JSON contract between `floe compile` and floe-dagster.

Paths inside are relative to the project root (the folder holding floe.yaml); the project root itself is
stored relative to the artifacts file, so a compiled project can be moved or copied as a whole.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import PrivateAttr, ValidationError

from floe_core.errors import FloeError
from floe_core.interpolation import has_deferred, resolve_deferred
from floe_core.spec import FloeSpec
from floe_core.spec.base import FloeModel
from floe_core.staleness import CompileInputs

SCHEMA_VERSION: Literal["1.0"] = "1.0"
ARTIFACTS_FILENAME = "compiled_artifacts.json"
DEFAULT_OUTPUT_DIR = ".floe"


class DbtArtifacts(FloeModel):
    """Where the dbt side of the project lives. Paths relative to the project root."""

    project_dir: str
    profiles_dir: str  # folder holding the generated profiles.yml
    profile_name: str
    target: str  # active compute target == dbt target name
    manifest_path: str  # manifest.json produced by `dbt parse` during `floe compile`


class ActiveTarget(FloeModel):
    """The active compute target, resolved at compile time by its own target module in floe-dbt.

    Everything a run needs to know about the warehouse without re-deriving it (floe-dagster reads this,
    never profiles.yml or the target's properties): the dbt adapter, the OpenLineage dataset namespace
    and naming, the SQL dialect for column lineage, and the local database file where there is one."""

    name: str  # compute.default == the dbt target
    type: str  # duckdb, postgres, snowflake, ...
    adapter_package: str  # the pip package providing the dbt adapter, e.g. dbt-duckdb
    lineage_namespace: str  # https://openlineage.io/docs/spec/naming, e.g. postgres://host:5432
    dataset_name_parts: tuple[Literal["database", "schema", "table"], ...]  # how dataset names are built
    sql_dialect: str | None  # sqlglot dialect of the warehouse's SQL (None: not analysable)
    database_path: str | None = None  # local database file (DuckDB), project-relative or absolute

    def dataset_name(self, database: str | None, schema: str | None, table: str) -> str:
        """`database.schema.table` (or the parts this target names datasets by), empty parts dropped."""
        values = {"database": database, "schema": schema, "table": table}
        return ".".join(v for part in self.dataset_name_parts if (v := values[part]))


class CompiledArtifacts(FloeModel):
    """Everything floe-dagster needs, resolved at compile time (interpolated, validated)."""

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    floe_version: str
    project_root: str  # relative to the folder holding this artifacts file
    spec_path: str  # floe.yaml, relative to project root
    spec: FloeSpec  # the interpolated, validated floe.yaml (on disk: secret-looking ${VARS} kept, see load)
    dbt: DbtArtifacts | None = None
    target: ActiveTarget | None = None  # None only when no compile step resolved one (floe-dbt absent)
    inputs: CompileInputs | None = None  # what compile read, to tell a stale load (floe_core.staleness)

    _artifacts_path: Path | None = PrivateAttr(default=None)

    @property
    def root(self) -> Path:
        """Absolute project root (folder of floe.yaml)."""
        base = self._artifacts_path.parent if self._artifacts_path else Path.cwd()
        return (base / self.project_root).resolve()

    def resolve(self, relative: str) -> Path:
        """Absolute path of a project-relative path recorded in the artifacts."""
        # normalised, not resolved: `.floe/dbt` and `.floe/profiles` are links through `.floe/current`
        # (floe_core.compiler), so a long-running process follows the build `floe compile` switched to
        return Path(os.path.normpath(self.root / relative))

    @classmethod
    def load(cls, path: str | Path, env: Mapping[str, str] | None = None) -> CompiledArtifacts:
        """Read and validate an artifacts file; every failure is a FloeError telling what to do.

        The file holds references to secret-looking variables as written in floe.yaml (`${ALERT_TOKEN}`,
        floe_core.interpolation): they are resolved here from `env` (default os.environ), so the secret
        lives only in this process's memory; one that is unset is an error naming the variable."""
        p = Path(path)
        if not p.is_file():
            raise FloeError(f"compiled artifacts not found at {p}: run `floe compile` first")
        try:
            raw = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise FloeError(f"compiled artifacts at {p} are unreadable ({exc}): run `floe compile`") from exc
        found = raw.get("schema_version") if isinstance(raw, dict) else None
        if found != SCHEMA_VERSION:
            raise FloeError(
                f"compiled artifacts at {p} have schema_version {found!r}, this floe reads"
                f" {SCHEMA_VERSION!r}: run `floe compile` again"
            )
        if isinstance(raw, dict) and "spec" in raw:
            raw["spec"] = _resolve_references(raw["spec"], os.environ if env is None else env, p)
        try:
            artifacts = cls.model_validate(raw)
        except ValidationError as exc:
            raise FloeError(
                f"compiled artifacts at {p} are invalid: {exc}\nrun `floe compile` again"
            ) from None
        return artifacts.bound_to(p)

    def bound_to(self, artifacts_path: str | Path) -> CompiledArtifacts:
        """Remember where this artifacts file lives, so `.root` and `.resolve()` are absolute."""
        # absolute, but not through symbolic links: `.floe/compiled_artifacts.json` is a link into the
        # current build (floe_core.compiler) and the project root is recorded relative to `.floe/`
        self._artifacts_path = Path(os.path.abspath(artifacts_path))  # noqa: PTH100 - keep links
        return self

    def to_json(self) -> str:
        return self.model_dump_json(indent=2, exclude_none=False)


def _resolve_references(spec: Any, env: Mapping[str, str], path: Path) -> Any:
    """Every string of the stored spec resolved (floe_core.interpolation.resolve_deferred)."""
    missing: list[str] = []

    def walk(value: Any, where: str) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, f"{where}.{k}" if where else str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, str) and has_deferred(value):
            result = resolve_deferred(value, env)
            missing.extend(f"{where}: {problem.message}" for problem in result.problems)
            return result.text
        return value

    resolved = walk(spec, "")
    if missing:
        raise FloeError(
            f"compiled artifacts at {path} refer to environment variables this process does not have"
            " (floe keeps secret-looking variables out of the file and reads them when the project is"
            " loaded):\n  " + "\n  ".join(missing)
        )
    return resolved
