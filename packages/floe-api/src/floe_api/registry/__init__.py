"""The registry: workflows, their immutable versions, runs, audit and API tokens (SQLAlchemy 2 + Alembic)."""

from __future__ import annotations

from floe_api.registry.db import Registry, migrate
from floe_api.registry.models import ApiToken, AuditEntry, Base, Run, Workflow, WorkflowVersion

__all__ = ["ApiToken", "AuditEntry", "Base", "Registry", "Run", "Workflow", "WorkflowVersion", "migrate"]
