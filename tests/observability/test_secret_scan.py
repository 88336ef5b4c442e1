"""Issue 16's secret scan: distinctive values planted in every place a secret can be given to floe — all
seven targets' credentials (`*_env`), DuckDB `settings`, a run-status webhook URL, the OpenLineage URL's
`?api_key=` — then the demo compiled, loaded and run as users run it (persistent instance, multiprocess
executor, loopback OpenLineage + OTLP receivers). None of the values may appear in any file under the test's
folder (floe's `.floe/`, dbt's target/ and logs/, Dagster's storage and compute logs), any event-log
message, OpenLineage event or span. The DuckDB setting is proven to have been *used* (dbt read it through
`env_var()`), so the scan is not vacuous; the lineage key was sent (the receiver saw it in the URL).

dbt's own files are scanned too: no planted value is passed to dbt on its command line, so dbt has
nothing to log.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from dagster import AssetKey, DagsterInstance, execute_job
from dagster_internals import ReconstructableRepository
from floe_projects import DEMO, compile_project, copy_project

pytestmark = pytest.mark.slow

PLANTED = {
    "SF_USER": "plant-sf-user-5b1",
    "SF_PASSWORD": "plant-sf-pass-5b2",
    "BQ_KEY_JSON": '{"type": "service_account", "private_key": "plant-bq-key-5b3"}',
    "RS_USER": "plant-rs-user-5b4",
    "RS_PASSWORD": "plant-rs-pass-5b5",
    "DBX_TOKEN": "plant-dbx-token-5b6",
    "PG_USER": "plant-pg-user-5b7",
    "PG_PASSWORD": "plant-pg-pass-5b8",
    "SPARK_USER": "plant-spark-user-5b9",
    "SPARK_PW": "plant-spark-pw-5c0",
    "ALERT_TOKEN": "plant-webhook-token-5c1",
}
LINEAGE_KEY = "plant-lineage-key-5c2"
TEMP_DIR_NAME = "plant-duckdb-temp-5c3"  # DuckDB `temp_directory`, through ${DUCKDB_TEMP_SECRET}

TARGETS = """\
    sf:
      type: snowflake
      properties: {account: xy123, database: ANALYTICS, schema: core, warehouse: WH}
      credentials: {method: password, user_env: SF_USER, password_env: SF_PASSWORD}
    bq:
      type: bigquery
      properties: {project: proj-1, dataset: analytics}
      credentials: {method: service-account-json, keyfile_json_env: BQ_KEY_JSON}
    rs:
      type: redshift
      properties: {host: rs.example.com, port: 5439, database: dev, schema: public}
      credentials: {method: database, user_env: RS_USER, password_env: RS_PASSWORD}
    dbx:
      type: databricks
      properties: {host: dbc-1.cloud.databricks.com, http_path: /sql/1.0/warehouses/abc, schema: analytics}
      credentials: {method: token, token_env: DBX_TOKEN}
    pg:
      type: postgres
      properties: {host: db.example.com, port: 5432, database: warehouse, schema: analytics}
      credentials: {method: password, user_env: PG_USER, password_env: PG_PASSWORD}
    spark:
      type: spark
      properties: {host: spark.example.com, schema: analytics}
      credentials: {method: thrift, user_env: SPARK_USER, password_env: SPARK_PW, auth: LDAP}
"""


def _plant(project: Path, temp_dir: Path) -> None:
    spec = project / "floe.yaml"
    text = spec.read_text(encoding="utf-8")
    text = text.replace(
        "        threads: 4\n",
        '        threads: 4\n        settings: {temp_directory: "${DUCKDB_TEMP_SECRET}"}\n' + TARGETS,
    )
    text = text.replace(
        "  sensors:\n",
        "  sensors:\n"
        "    failures:\n"
        "      type: run_status\n"
        "      watch: [bronze_and_silver]\n"
        '      webhook: "http://127.0.0.1:9/hook?token=${ALERT_TOKEN}"\n',
        1,
    )
    assert "${DUCKDB_TEMP_SECRET}" in text and "${ALERT_TOKEN}" in text and "type: spark" in text
    spec.write_text(text, encoding="utf-8")


def test_no_planted_secret_in_any_file_log_event_or_span(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, receiver: Any
) -> None:
    temp_dir = tmp_path / TEMP_DIR_NAME
    for name, value in PLANTED.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DUCKDB_TEMP_SECRET", str(temp_dir))
    monkeypatch.setenv("OPENLINEAGE_URL", f"{receiver.url}?api_key={LINEAGE_KEY}")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
    monkeypatch.setenv("FLOE_DUCKDB_PATH", ".floe/demo.duckdb")
    monkeypatch.setenv("FLOE_SCHEDULES_ON", "false")
    project = copy_project(DEMO, tmp_path / "demo")
    _plant(project, temp_dir)
    compile_project(project)

    home = tmp_path / "dagster_home"
    home.mkdir()
    overrides = {"python_logs": {"managed_python_loggers": ["floe"], "python_log_level": "DEBUG"}}
    with DagsterInstance.local_temp(str(home), overrides=overrides) as instance:
        repo = ReconstructableRepository.for_file(
            str(project / "orchestration" / "definitions.py"), "defs", working_directory=str(project)
        )
        selection = [AssetKey(k) for k in ("raw_customers", "raw_orders", "stg_customers", "stg_orders")]
        with execute_job(
            repo.get_reconstructable_job("__ASSET_JOB"), instance=instance, asset_selection=selection
        ) as result:
            assert result.success
            messages = [e.user_message for e in instance.all_logs(result.run_id)]

    # the planted values were really in use: the lineage key reached the receiver in the URL, and the
    # profile hands dbt the DuckDB setting through env_var()
    assert receiver.lineage, "no lineage event received"
    assert any(path.endswith(f"/api/v1/lineage?api_key={LINEAGE_KEY}") for path in receiver.paths)
    profile = (project / ".floe" / "profiles" / "profiles.yml").read_text(encoding="utf-8")
    assert "env_var('DUCKDB_TEMP_SECRET')" in profile

    secrets = [
        *PLANTED.values(),
        json.loads(PLANTED["BQ_KEY_JSON"])["private_key"],
        LINEAGE_KEY,
        TEMP_DIR_NAME,
    ]
    captured = {
        "lineage events": json.dumps(receiver.lineage),
        "spans": "".join(s.SerializeToString().decode("latin-1") for s in receiver.spans),
        "span resources": json.dumps(receiver.resources),
        "event log": "\n".join(messages),
    }
    leaks = [f"{where}: {s}" for where, text in captured.items() for s in secrets if s in text]
    files = [p for p in tmp_path.rglob("*") if p.is_file() and not p.is_symlink()]
    assert {".db", ".json", ".yml", ".log"} <= {p.suffix for p in files}  # storage, artifacts, profiles, dbt
    leaks += [f"{p}: {s}" for p in files for s in secrets if s.encode() in p.read_bytes()]
    assert not leaks
