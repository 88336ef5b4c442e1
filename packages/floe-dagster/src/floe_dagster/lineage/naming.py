"""OpenLineage dataset naming (https://openlineage.io/docs/spec/naming) for floe's seven compute targets.

The namespace identifies the data source instance (postgres://host:port, snowflake://org-account, ...);
dataset names are `database.schema.table` (Spark: `schema.table`). Only non-secret connection fields
(host, port, account, path) are read; credentials never reach a namespace.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from floe_core.artifacts import CompiledArtifacts


@dataclass(frozen=True)
class ComputeLocation:
    adapter: str  # dbt adapter / target type: duckdb, postgres, snowflake, ...
    namespace: str

    def dataset_name(self, database: str | None, schema: str | None, table: str) -> str:
        parts = [schema, table] if self.adapter == "spark" else [database, schema, table]
        return ".".join(p for p in parts if p)


def compute_location(artifacts: CompiledArtifacts) -> ComputeLocation:
    """Namespace of the active compute target (the dbt target floe compiled)."""
    compute = artifacts.spec.compute
    name = artifacts.dbt.target if artifacts.dbt else compute.default
    target = compute.targets.get(name) or compute.targets.get(compute.default)
    kind = str(_field(target, "type") or "unknown")
    props = _field(target, "properties")
    # a relative DuckDB path in floe.yaml is relative to floe.yaml's folder (profiles.yml rebases it for dbt)
    base = artifacts.root
    return ComputeLocation(adapter=kind, namespace=_namespace(kind, props, base))


def _namespace(kind: str, props: object, root: Path) -> str:
    host = _field(props, "host") or _field(props, "server_hostname")
    port = _field(props, "port")
    if kind == "duckdb":
        path = str(_field(props, "path") or ":memory:")
        if path == ":memory:" or path.startswith(("md:", "motherduck:")):
            return f"duckdb://{path.removeprefix(':').removesuffix(':')}"
        return f"duckdb://{(root / path).resolve()}"
    if kind == "postgres":
        return f"postgres://{host}:{port or 5432}"
    if kind == "redshift":
        return f"redshift://{_redshift_authority(str(host), port or 5439)}"
    if kind == "snowflake":
        return f"snowflake://{_snowflake_account(str(_field(props, 'account') or ''))}"
    if kind == "bigquery":
        return "bigquery"
    if kind == "databricks":
        return f"databricks://{host}"
    if kind == "spark":
        return f"spark://{host}:{port or 443}"
    return f"{kind}://{host or 'local'}"


def _redshift_authority(host: str, port: object) -> str:
    """cluster.abc123.eu-west-1.redshift.amazonaws.com -> cluster.eu-west-1 (the spec's cluster.region)."""
    labels = host.split(".")
    if host.endswith(".redshift.amazonaws.com") and len(labels) >= 4:
        return f"{labels[0]}.{labels[2]}:{port}"
    return f"{host}:{port}"


def _snowflake_account(account: str) -> str:
    """Spec form is org-account, lower case; a legacy locator (xy123.eu-west-1) is kept as given."""
    account = account.lower().removesuffix(".snowflakecomputing.com")
    return account.replace("_", "-") if "." not in account else account


def _field(obj: object, name: str) -> object:
    """Attribute of a typed target model (or key of the raw mapping a stub model may still hold)."""
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)
