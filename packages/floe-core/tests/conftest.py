"""Fixtures shared by floe-core's tests: a valid floe.yaml in the contract's shape."""

from __future__ import annotations

from pathlib import Path

import pytest

VALID_FLOE_YAML = """\
name: demo
version: "1.0"
compute:
  default: ${FLOE_TARGET:dev}
  targets:
    dev:
      type: duckdb
      properties:
        path: ${FLOE_DUCKDB_PATH:.floe/demo.duckdb}
        threads: ${FLOE_THREADS:4}
    prod:
      type: snowflake
      properties: {account: xy123, warehouse: wh, database: db, schema: analytics, role: r}
      credentials: {method: keypair, user_env: SNOWFLAKE_USER, private_key_path_env: SNOWFLAKE_KEY_PATH}
transforms:
  - type: dbt
    path: dbt
governance:
  classifications: {stg_customers: {email: pii, phone: pii}}
"""


DBT_PROJECT_YML = "name: demo\nversion: '1.0'\nconfig-version: 2\nprofile: demo\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder holding a valid floe.yaml and the dbt project folder it names; returns the floe.yaml path."""
    path = tmp_path / "floe.yaml"
    path.write_text(VALID_FLOE_YAML, encoding="utf-8")
    (tmp_path / "dbt").mkdir()
    (tmp_path / "dbt" / "dbt_project.yml").write_text(DBT_PROJECT_YML, encoding="utf-8")
    return path
