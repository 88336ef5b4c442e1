"""Fixtures shared by floe-core's tests: a valid floe.yaml in the contract's shape."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Validation:
    """What `floe validate` printed for a floe.yaml, run in-process (the CLI's own main)."""

    code: int
    stdout: str
    stderr: str
    config: Path

    @property
    def problems(self) -> list[str]:
        """The problem lines (after the 'is invalid' head line)."""
        return self.stderr.splitlines()[1:]

    def line_for(self, path: str) -> str:
        """The one problem line about floe.yaml `path`."""
        found = [line for line in self.problems if f": {path}: " in line]
        assert len(found) == 1, f"expected one problem at {path}, got:\n{self.stderr}"
        return found[0]


@pytest.fixture
def validate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Validation]:
    """`validate(text, **env)`: write floe.yaml into tmp_path and run `floe validate -c` on it.

    Asserts what every user error must hold: no traceback, and exit 1 when something is reported."""
    from floe_core.cli import main

    def run(text: str, **env: str) -> Validation:
        config = tmp_path / "floe.yaml"
        config.write_text(text, encoding="utf-8")
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        code = main(["validate", "-c", str(config)])
        captured = capsys.readouterr()
        assert "Traceback" not in captured.out + captured.err
        assert code == (1 if captured.err else 0), captured.out + captured.err
        return Validation(code, captured.out, captured.err, config)

    return run
