"""Databricks (dbt-databricks): personal access token or OAuth M2M (service principal)."""

from __future__ import annotations

from floe_core.spec.compute.databricks import DatabricksTarget, DatabricksToken

from floe_dbt.profiles._base import DbtOutput, LocalPaths, ProfileValue, TargetProfile, env_ref, output


def to_output(target: DatabricksTarget) -> DbtOutput:
    p = target.properties
    c = target.credentials
    auth: dict[str, ProfileValue | None] = (
        {"token": env_ref(c.token_env)}
        if isinstance(c, DatabricksToken)
        else {
            "auth_type": "oauth",
            "client_id": env_ref(c.client_id_env),
            "client_secret": env_ref(c.client_secret_env),
        }
    )
    session_properties: dict[str, ProfileValue] = dict(p.session_properties)
    return output(
        "databricks",
        p,
        {
            "host": p.host,
            "http_path": p.http_path,
            "catalog": p.catalog,
            "schema": p.schema_,
            "connect_retries": p.connect_retries,
            "connect_timeout": p.connect_timeout,
            "session_properties": session_properties,
            **auth,
        },
    )


def lineage_namespace(target: DatabricksTarget, _paths: LocalPaths) -> str:
    return f"databricks://{target.properties.host}"


PROFILE = TargetProfile[DatabricksTarget](
    type="databricks",
    adapter_package="dbt-databricks",
    required_fields=("host", "http_path", "schema"),
    secret_fields=("token", "client_secret"),
    auth_methods=("token", "oauth-m2m"),
    render=to_output,
    lineage_namespace=lineage_namespace,
    sql_dialect="databricks",
)
