"""Amazon Redshift (dbt-redshift): database user/password or IAM temporary credentials."""

from __future__ import annotations

from floe_core.spec.compute.redshift import RedshiftIAM, RedshiftPassword, RedshiftTarget

from floe_dbt.profiles._base import (
    DbtOutput,
    LocalPaths,
    ProfileValue,
    TargetProfile,
    env_number,
    env_ref,
    output,
)


def _auth(c: RedshiftPassword | RedshiftIAM) -> dict[str, ProfileValue | None]:
    if isinstance(c, RedshiftPassword):
        return {"method": "database", "user": env_ref(c.user_env), "password": env_ref(c.password_env)}
    return {
        "method": "iam",
        "user": env_ref(c.user_env),
        "cluster_id": c.cluster_id,
        "iam_profile": c.iam_profile,
        "access_key_id": env_ref(c.access_key_id_env) if c.access_key_id_env else None,
        "secret_access_key": env_ref(c.secret_access_key_env) if c.secret_access_key_env else None,
        "db_groups": list(c.db_groups),
        "autocreate": c.autocreate or None,
    }


def to_output(target: RedshiftTarget) -> DbtOutput:
    p = target.properties
    return output(
        "redshift",
        p,
        {
            "host": p.host,
            "port": env_number(p.port_env) if p.port_env else p.port,
            "dbname": p.database,
            "schema": p.schema_,
            "sslmode": p.sslmode,
            "region": p.region,
            "ra3_node": p.ra3_node,
            "connect_timeout": p.connect_timeout,
            **_auth(target.credentials),
        },
    )


def lineage_namespace(target: RedshiftTarget, _paths: LocalPaths) -> str:
    """cluster.abc123.eu-west-1.redshift.amazonaws.com -> redshift://cluster.eu-west-1:5439 (the naming
    spec's cluster.region); any other host is kept as given."""
    host, port = target.properties.host, target.properties.port or 5439
    labels = host.split(".")
    if host.endswith(".redshift.amazonaws.com") and len(labels) >= 4:
        return f"redshift://{labels[0]}.{labels[2]}:{port}"
    return f"redshift://{host}:{port}"


PROFILE = TargetProfile[RedshiftTarget](
    type="redshift",
    adapter_package="dbt-redshift",
    required_fields=("method", "host", "port", "user", "dbname", "schema"),
    secret_fields=("password", "secret_access_key"),
    auth_methods=("database", "iam"),
    render=to_output,
    lineage_namespace=lineage_namespace,
    sql_dialect="redshift",
)
