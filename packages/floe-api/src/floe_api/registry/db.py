"""The registry's database: an engine from a URL (SQLite by default, PostgreSQL by URL), Alembic migrations
run at start-up, sessions, and the mutations the API makes (each one audited in the same transaction)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from floe_api.registry.models import ApiToken, AuditEntry

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: object, _record: object) -> None:
            cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Upgrade the database to the newest Alembic revision (idempotent)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class Registry:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        migrate(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    @staticmethod
    def audit(session: Session, actor: str, action: str, target: str, reason: str | None = None) -> None:
        session.add(AuditEntry(actor=actor, action=action, target=target, reason=reason))

    def create_token(self, subject: str, role: str) -> str:
        """A new bearer token for `subject` with `role`; only its sha256 is stored."""
        token = secrets.token_urlsafe(32)
        with self.session() as session:
            session.add(ApiToken(subject=subject, role=role, token_sha256=token_sha256(token)))
            self.audit(session, subject, "create_token", subject, f"role={role}")
        return token

    def identify(self, token: str) -> ApiToken | None:
        with self.session() as session:
            return session.scalar(select(ApiToken).where(ApiToken.token_sha256 == token_sha256(token)))

    def dispose(self) -> None:
        self.engine.dispose()
