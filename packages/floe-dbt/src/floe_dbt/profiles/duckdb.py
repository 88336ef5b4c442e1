"""DuckDB (dbt-duckdb): path, schema, extensions, settings, attachments; MotherDuck token from env."""

from __future__ import annotations

from floe_core.spec.compute.duckdb import DuckDBMotherDuckCredentials, DuckDBTarget

from floe_dbt.profiles._base import DbtOutput, ProfileValue, TargetProfile, env_ref, output


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


PROFILE = TargetProfile[DuckDBTarget](
    type="duckdb",
    adapter_package="dbt-duckdb",
    required_fields=("path", "schema"),
    secret_fields=("motherduck_token",),
    auth_methods=("none", "motherduck"),
    render=to_output,
)
