"""DuckDB (dbt-duckdb): path, schema, extensions, settings, attachments; MotherDuck token from env."""

from __future__ import annotations

from floe_core.spec.compute.duckdb import DuckDBMotherDuckCredentials, DuckDBTarget

from floe_dbt.profiles._base import DbtOutput, LocalPaths, ProfileValue, TargetProfile, env_ref, output


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


PROFILE = TargetProfile[DuckDBTarget](
    type="duckdb",
    adapter_package="dbt-duckdb",
    required_fields=("path", "schema"),
    secret_fields=("motherduck_token",),
    auth_methods=("none", "motherduck"),
    render=to_output,
    relocate=relocate,
)
