"""DuckDB (dbt-duckdb): path, schema, extensions, settings, attachments; MotherDuck token from env."""

from __future__ import annotations

from floe_core.spec.compute.duckdb import DuckDBMotherDuckCredentials, DuckDBTarget

from floe_dbt.profiles._base import (
    DbtOutput,
    LocalPaths,
    ProfileValue,
    TargetProfile,
    env_ref,
    is_local_relative,
    output,
)


def to_output(target: DuckDBTarget) -> DbtOutput:
    p = target.properties
    creds = target.credentials
    attach: list[ProfileValue] = [
        {k: v for k, v in a.model_dump().items() if v is not None} for a in p.attach
    ]
    return output(
        "duckdb",
        p,
        {
            "path": p.path,
            "schema": p.schema_,
            "extensions": list(p.extensions),
            "settings": dict(p.settings),
            "attach": attach,
            "motherduck_token": (
                env_ref(creds.token_env) if isinstance(creds, DuckDBMotherDuckCredentials) else None
            ),
        },
    )


def relocate(target: DuckDBTarget, paths: LocalPaths) -> DuckDBTarget:
    """The database file and attached files are written relative to floe.yaml; dbt runs in the dbt folder."""
    p = target.properties
    attach = [a.model_copy(update={"path": paths(a.path)}) for a in p.attach]
    props = p.model_copy(update={"path": paths(p.path), "attach": attach})
    return target.model_copy(update={"properties": props})


def lineage_namespace(target: DuckDBTarget, paths: LocalPaths) -> str:
    """`duckdb://<absolute file>`; `duckdb://memory` and `duckdb://md:<db>` for the in-memory and
    MotherDuck databases."""
    path = target.properties.path
    if path == ":memory:" or path.startswith(("md:", "motherduck:")):
        return f"duckdb://{path.removeprefix(':').removesuffix(':')}"
    return f"duckdb://{paths.absolute(path)}"


def database_path(target: DuckDBTarget) -> str | None:
    """The database file as floe.yaml wrote it; None for :memory: and MotherDuck (no local file)."""
    path = target.properties.path
    return path if is_local_relative(path) or path.startswith("/") else None


PROFILE = TargetProfile[DuckDBTarget](
    type="duckdb",
    adapter_package="dbt-duckdb",
    required_fields=("path", "schema"),
    secret_fields=("motherduck_token",),
    auth_methods=("none", "motherduck"),
    render=to_output,
    relocate=relocate,
    lineage_namespace=lineage_namespace,
    sql_dialect="duckdb",
    database_path=database_path,
)
