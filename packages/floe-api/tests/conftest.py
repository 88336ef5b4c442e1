"""Registry URLs for tests: SQLite in a tmp dir, and a fresh database on the local PostgreSQL server
(created and dropped per test). With CI=true an unreachable PostgreSQL fails instead of skipping."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

PG = "postgresql+psycopg2://postgres@127.0.0.1:5432"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    admin = create_engine(f"{PG}/test", isolation_level="AUTOCOMMIT")
    name = f"floe_api_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server here
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"PostgreSQL 127.0.0.1:5432 unavailable: {exc}")
    try:
        yield f"{PG}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.db'}"
    return str(request.getfixturevalue("postgres_url"))
