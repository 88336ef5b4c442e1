"""Bearer tokens (stored hashed in the registry) and the roles' permissions (docs/workflow-api.md)."""

from __future__ import annotations

from dataclasses import dataclass

from floe_api.errors import ApiError, forbidden

ROLES = ("admin", "developer", "viewer")
READ = {"list", "history", "status"}
PERMISSIONS: dict[str, set[str]] = {
    "viewer": READ,
    "developer": READ | {"run", "backfill", "stop", "pause", "unpause", "register", "unregister", "approve"},
    "admin": READ
    | {
        "run",
        "backfill",
        "stop",
        "pause",
        "unpause",
        "register",
        "unregister",
        "approve",
        "pause_all",
        "tokens",
    },
}


@dataclass(frozen=True)
class Identity:
    subject: str
    role: str

    def require(self, action: str) -> None:
        if action not in PERMISSIONS.get(self.role, set()):
            raise forbidden(self.role, action)


def bearer(header: str | None) -> str:
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "UNAUTHENTICATED", "missing or malformed `Authorization: Bearer <token>` header")
    return token.strip()
