"""The registry's tables: workflows, workflow_versions, workflow_runs, audit, api_tokens.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "workflows",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("source_type", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("team", sa.String(255), nullable=True),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("cron", sa.String(255), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("store_path", sa.Text, nullable=True),
        sa.Column("job_name", sa.String(255), nullable=False),
        sa.Column("current_version", sa.Integer, nullable=True),
        sa.Column("paused_by", sa.String(255), nullable=True),
        _ts("paused_at", nullable=True),
        sa.Column("paused_reason", sa.Text, nullable=True),
        sa.Column("registered_by", sa.String(255), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.UniqueConstraint("name", name="uq_workflows_name"),
    )
    op.create_table(
        "workflow_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("workflow_name", sa.String(255), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("yaml", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        _ts("created_at"),
        sa.UniqueConstraint("workflow_name", "version", name="uq_workflow_versions_name_version"),
    )
    op.create_table(
        "workflow_runs",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("workflow_name", sa.String(255), nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("triggered_by", sa.String(255), nullable=False),
        sa.Column("run_type", sa.String(16), nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=True),
        sa.Column("backfill_id", sa.String(255), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True, index=True),
        _ts("ended_at", nullable=True),
        sa.Column("logs_url", sa.Text, nullable=True),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _ts("at"),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        _ts("created_at"),
        sa.UniqueConstraint("token_sha256", name="uq_api_tokens_sha256"),
    )


def downgrade() -> None:
    for table in ("api_tokens", "audit", "workflow_runs", "workflow_versions", "workflows"):
        op.drop_table(table)
