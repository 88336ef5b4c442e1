"""PostgreSQL (dbt-postgres): user and password from env; SSL mode and the rest from properties."""

from __future__ import annotations

from floe_core.spec.compute.postgres import PostgresTarget

from floe_dbt.profiles._base import DbtOutput, LocalPaths, TargetProfile, env_number, env_ref, output


def to_output(target: PostgresTarget) -> DbtOutput:
    p = target.properties
    c = target.credentials
    return output(
        "postgres",
        p,
        {
            "host": p.host,
            "port": env_number(p.port_env) if p.port_env else p.port,
            "user": env_ref(c.user_env),
            "password": env_ref(c.password_env),
            "dbname": p.database,
            "schema": p.schema_,
            "sslmode": p.sslmode,
            "sslrootcert": p.sslrootcert,
            "role": p.role,
            "search_path": p.search_path,
            "connect_timeout": p.connect_timeout,
            "keepalives_idle": p.keepalives_idle,
        },
    )


def lineage_namespace(target: PostgresTarget, _paths: LocalPaths) -> str:
    return f"postgres://{target.properties.host}:{target.properties.port or 5432}"


PROFILE = TargetProfile[PostgresTarget](
    type="postgres",
    adapter_package="dbt-postgres",
    required_fields=("host", "port", "user", "password", "dbname", "schema"),
    secret_fields=("password",),
    auth_methods=("password",),
    render=to_output,
    lineage_namespace=lineage_namespace,
    sql_dialect="postgres",
)
