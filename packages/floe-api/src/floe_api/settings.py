"""Server settings, from the environment (`floe api serve` sets them from its options)."""

from __future__ import annotations

import os
from pathlib import Path

from floe_core.errors import FloeError
from floe_core.urls import DEFAULT_DAGSTER_URL
from floe_core.workflows.manual_store import store_dir
from pydantic import BaseModel, ConfigDict

from floe_api.oidc import OidcSettings


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    database_url: str
    dagster_url: str
    dagster_ui_url: str | None = None
    store: Path | str  # a folder, or an s3:// URL kept as text (floe_core.workflows.manual_store)
    dagster_timeout: float = 5.0
    reload_timeout: float = 120.0
    # seconds between two adoptions of the runs launched outside the API (floe_api.sync); 0: none
    run_sync_interval: float = 15.0
    oidc: OidcSettings | None = None  # JWTs from an identity provider, besides the API's own tokens

    @classmethod
    def from_env(cls, project_root: str | Path = ".") -> Settings:
        root = Path(project_root).resolve()
        return cls(
            database_url=os.environ.get("FLOE_API_DATABASE_URL", f"sqlite:///{root / '.floe' / 'api.db'}"),
            dagster_url=os.environ.get("FLOE_DAGSTER_URL", DEFAULT_DAGSTER_URL),
            dagster_ui_url=os.environ.get("FLOE_DAGSTER_UI_URL"),
            store=store_dir(root),
            dagster_timeout=float(os.environ.get("FLOE_DAGSTER_TIMEOUT", "5")),
            reload_timeout=float(os.environ.get("FLOE_API_RELOAD_TIMEOUT", "120")),
            run_sync_interval=float(os.environ.get("FLOE_API_RUN_SYNC_INTERVAL", "15")),
            oidc=_oidc_from_env(),
        )


def _oidc_from_env() -> OidcSettings | None:
    """FLOE_API_OIDC_ISSUER + _AUDIENCE + _JWKS_URL (+ _ROLE_CLAIM) turn JWT bearer tokens on."""
    issuer = os.environ.get("FLOE_API_OIDC_ISSUER")
    if not issuer:
        return None
    missing = [n for n in ("FLOE_API_OIDC_AUDIENCE", "FLOE_API_OIDC_JWKS_URL") if not os.environ.get(n)]
    if missing:
        raise FloeError(f"FLOE_API_OIDC_ISSUER is set: set {' and '.join(missing)} too")
    return OidcSettings(
        issuer=issuer,
        audience=os.environ["FLOE_API_OIDC_AUDIENCE"],
        jwks_url=os.environ["FLOE_API_OIDC_JWKS_URL"],
        role_claim=os.environ.get("FLOE_API_OIDC_ROLE_CLAIM", "floe_role"),
    )
