from __future__ import annotations

import pytest
from floe_api.registry import AuditEntry, Registry, Workflow, WorkflowVersion
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError


def test_migration_creates_the_tables_and_is_idempotent(db_url: str) -> None:
    registry = Registry(db_url)
    Registry(db_url).dispose()  # a second start upgrades nothing
    tables = set(inspect(registry.engine).get_table_names())
    assert {
        "workflows",
        "workflow_versions",
        "workflow_runs",
        "audit",
        "api_tokens",
        "alembic_version",
    } <= tables
    registry.dispose()


def test_workflow_names_are_unique(db_url: str) -> None:
    registry = Registry(db_url)
    with registry.session() as session:
        session.add(Workflow(name="daily", source_type="MANUAL", owner="a", job_name="daily"))
    with pytest.raises(IntegrityError), registry.session() as session:
        session.add(Workflow(name="daily", source_type="MANUAL", owner="b", job_name="daily"))
    registry.dispose()


def test_versions_are_immutable(db_url: str) -> None:
    registry = Registry(db_url)
    with registry.session() as session:
        session.add(WorkflowVersion(workflow_name="w", version=1, yaml="a", sha256="0" * 64, created_by="x"))
    with pytest.raises(ValueError, match="immutable"), registry.session() as session:
        version = session.scalars(select(WorkflowVersion)).one()
        version.yaml = "b"
    with registry.session() as session:
        assert session.scalars(select(WorkflowVersion.yaml)).one() == "a"
    registry.dispose()


def test_tokens_are_stored_hashed_and_creation_is_audited(db_url: str) -> None:
    registry = Registry(db_url)
    token = registry.create_token("dev@example.com", "developer")
    identity = registry.identify(token)
    assert identity is not None and identity.role == "developer"
    assert identity.token_sha256 != token and token not in identity.token_sha256
    assert registry.identify(token + "x") is None
    with registry.session() as session:
        audit = session.scalars(select(AuditEntry)).one()
        assert (audit.actor, audit.action) == ("dev@example.com", "create_token")
        assert token not in (audit.reason or "")
    registry.dispose()
