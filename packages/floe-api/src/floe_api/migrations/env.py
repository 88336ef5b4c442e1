"""Alembic environment: the connection comes from floe_api.registry.db.migrate (config.attributes)."""

from __future__ import annotations

from alembic import context
from floe_api.registry.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
