"""BigQuery (dbt-bigquery): gcloud OAuth, service-account key file, or the key JSON from env."""

from __future__ import annotations

from floe_core.spec.compute.bigquery import (
    BigQueryServiceAccount,
    BigQueryServiceAccountJson,
    BigQueryTarget,
)

from floe_dbt.profiles._base import DbtOutput, LocalPaths, TargetProfile, env_ref, output


def to_output(target: BigQueryTarget) -> DbtOutput:
    p = target.properties
    c = target.credentials
    keyfile = env_ref(c.keyfile_env) if isinstance(c, BigQueryServiceAccount) else None
    # dbt-bigquery wants keyfile_json as a mapping, env_var() yields a string: parse it in dbt's Jinja.
    keyfile_json = (
        f"{{{{ fromjson(env_var('{c.keyfile_json_env}')) }}}}"
        if isinstance(c, BigQueryServiceAccountJson)
        else None
    )
    return output(
        "bigquery",
        p,
        {
            "method": c.method,
            "project": p.project,
            "dataset": p.dataset,
            "location": p.location,
            "execution_project": p.execution_project,
            "priority": p.priority,
            "maximum_bytes_billed": p.maximum_bytes_billed,
            "job_execution_timeout_seconds": p.job_execution_timeout_seconds,
            "job_retries": p.job_retries,
            "impersonate_service_account": p.impersonate_service_account,
            "keyfile": keyfile,
            "keyfile_json": keyfile_json,
        },
    )


def lineage_namespace(_target: BigQueryTarget, _paths: LocalPaths) -> str:
    return "bigquery"  # the naming spec: datasets are named project.dataset.table under `bigquery`


PROFILE = TargetProfile[BigQueryTarget](
    type="bigquery",
    adapter_package="dbt-bigquery",
    required_fields=("method", "project", "dataset"),
    secret_fields=("keyfile_json",),
    auth_methods=("oauth", "service-account", "service-account-json"),
    render=to_output,
    lineage_namespace=lineage_namespace,
    sql_dialect="bigquery",
)
