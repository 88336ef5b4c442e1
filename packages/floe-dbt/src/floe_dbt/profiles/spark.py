"""Apache Spark (dbt-spark): Thrift, HTTP, ODBC or an in-process PySpark session."""

from __future__ import annotations

from floe_core.spec.compute.spark import SparkHttp, SparkOdbc, SparkSession, SparkTarget, SparkThrift

from floe_dbt.profiles._base import DbtOutput, LocalPaths, ProfileValue, TargetProfile, env_ref, output

_DEFAULT_PORT = {"thrift": 10000, "http": 443, "odbc": 443}


def _auth(c: SparkThrift | SparkHttp | SparkOdbc | SparkSession) -> dict[str, ProfileValue | None]:
    if isinstance(c, SparkThrift):
        return {
            "user": env_ref(c.user_env) if c.user_env else None,
            "password": env_ref(c.password_env) if c.password_env else None,
            "auth": c.auth,
            "kerberos_service_name": c.kerberos_service_name,
            "use_ssl": c.use_ssl or None,
        }
    if isinstance(c, SparkHttp):
        return {"token": env_ref(c.token_env), "cluster": c.cluster, "organization": c.organization}
    if isinstance(c, SparkOdbc):
        return {
            "driver": c.driver,
            "token": env_ref(c.token_env),
            "cluster": c.cluster,
            "endpoint": c.endpoint,
            "organization": c.organization,
        }
    return {}


def to_output(target: SparkTarget) -> DbtOutput:
    p = target.properties
    method = target.credentials.method
    return output(
        "spark",
        p,
        {
            "method": method,
            # dbt-spark insists on a host even for an in-process session, where it is unused.
            "host": p.host or "localhost",
            "port": p.port or _DEFAULT_PORT.get(method),
            "schema": p.schema_,
            "connect_retries": p.connect_retries,
            "connect_timeout": p.connect_timeout,
            "server_side_parameters": dict[str, ProfileValue](p.server_side_parameters),
            **_auth(target.credentials),
        },
    )


def lineage_namespace(target: SparkTarget, _paths: LocalPaths) -> str:
    return f"spark://{target.properties.host}:{target.properties.port or 443}"


PROFILE = TargetProfile[SparkTarget](
    type="spark",
    adapter_package="dbt-spark",
    required_fields=("method", "host", "schema"),
    secret_fields=("password", "token"),
    auth_methods=("thrift", "http", "odbc", "session"),
    render=to_output,
    lineage_namespace=lineage_namespace,
    sql_dialect="spark",
    dataset_name_parts=("schema", "table"),  # Spark names tables schema.table (no catalog level)
)
