"""What every target module declares (`TargetProfile`) and the helpers they render with."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Literal, TypeVar

from floe_core.spec.compute import TargetProperties

# A value in profiles.yml: what YAML can hold.
ProfileValue = str | int | float | bool | list["ProfileValue"] | dict[str, "ProfileValue"]
DbtOutput = dict[str, ProfileValue]
"""One dbt output (a target in profiles.yml), ready for YAML."""

T = TypeVar("T")
NamePart = Literal["database", "schema", "table"]


@dataclass(frozen=True)
class LocalPaths:
    """Rebases file paths written relative to floe.yaml onto the dbt project folder, where dbt runs.

    Users write paths relative to the file they edit (floe.yaml); dbt resolves them from its own working
    directory. The result stays relative, so a compiled project can still be moved as a whole.
    """

    floe_dir: Path | None = None
    dbt_dir: Path | None = None

    def __call__(self, path: str) -> str:
        if self.floe_dir is None or self.dbt_dir is None or not is_local_relative(path):
            return path
        return os.path.relpath(self.floe_dir / path, self.dbt_dir)

    def absolute(self, path: str) -> str:
        """A local path written relative to floe.yaml, made absolute (others unchanged)."""
        if self.floe_dir is None or not is_local_relative(path):
            return path
        return str((self.floe_dir / path).resolve())


def is_local_relative(path: str) -> bool:
    """A relative file path (not :memory:, an `md:` name or a URL)."""
    return not (path.startswith((":", "md:", "motherduck:")) or "://" in path or Path(path).is_absolute())


@dataclass(frozen=True)
class TargetProfile(Generic[T]):
    """Declaration of one dbt target type: which adapter, what it needs, what is secret, how to map it."""

    type: str  # dbt `type:` and floe's `compute.targets.*.type`
    adapter_package: str  # the pip package providing the dbt adapter
    required_fields: tuple[str, ...]  # dbt output keys every output of this type must carry
    secret_fields: tuple[str, ...]  # dbt output keys that may only hold `{{ env_var(...) }}`
    auth_methods: tuple[str, ...]  # accepted `credentials.method` values
    render: Callable[[T], DbtOutput]  # pure: typed target -> dbt output
    # OpenLineage (https://openlineage.io/docs/spec/naming): the namespace of the data source instance
    # (non-secret connection fields only) and the parts a dataset name is made of
    lineage_namespace: Callable[[T, LocalPaths], str]
    sql_dialect: str | None  # sqlglot's dialect name for the warehouse's SQL (column lineage)
    dataset_name_parts: tuple[NamePart, ...] = ("database", "schema", "table")
    # targets holding local file paths rebase them (see LocalPaths) before they are rendered
    relocate: Callable[[T, LocalPaths], T] | None = None
    # the local database file dbt opens (DuckDB), as floe.yaml wrote it (relative to floe.yaml); else None
    database_path: Callable[[T], str | None] | None = None


def env_ref(name: str) -> str:
    """dbt reads the value at run time; profiles.yml only ever holds the variable's name."""
    return f"{{{{ env_var('{name}') }}}}"


def env_number(name: str) -> str:
    """env_var() always yields a string; `as_number` makes dbt hand the adapter an int (ports...)."""
    return f"{{{{ env_var('{name}') | as_number }}}}"


def output(dbt_type: str, props: TargetProperties, fields: Mapping[str, ProfileValue | None]) -> DbtOutput:
    """Assemble an output: type, threads, the mapped fields (None and empty containers dropped), then
    `properties.extra`, merged last so users can override any default floe chose (FR-004)."""
    out: DbtOutput = {"type": dbt_type, "threads": props.threads}
    out.update({k: v for k, v in fields.items() if v is not None and v not in ([], {})})
    out.update(props.extra)
    return out
