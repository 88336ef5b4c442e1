"""Optional OIDC / JWT bearer tokens (contract §11), besides the API's own hashed tokens.

When an issuer is configured, a bearer token that is a JWT is verified with PyJWT against the issuer's
JSON Web Key Set (signature, `iss`, `aud`, `exp`/`nbf`); the caller's role is read from a claim
(`floe_role` by default; a string or a list, the strongest of admin > developer > viewer wins) and the
subject from `email`, else `sub`. A token that fails any check is a 401 saying which check, never echoing it.
"""

from __future__ import annotations

from typing import Any

import jwt
from pydantic import BaseModel, ConfigDict

from floe_api.auth import ROLES, Identity
from floe_api.errors import ApiError

_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]


class OidcSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    issuer: str
    audience: str
    jwks_url: str  # e.g. https://idp.example.com/.well-known/jwks.json
    role_claim: str = "floe_role"


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2


class JwtVerifier:
    def __init__(self, settings: OidcSettings) -> None:
        self.settings = settings
        # keys are fetched once and cached; an unknown `kid` refreshes them (key rotation)
        self._keys = jwt.PyJWKClient(settings.jwks_url, cache_keys=True, timeout=5)

    def identify(self, token: str) -> Identity:
        try:
            key = self._keys.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=_ALGORITHMS,
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWKClientConnectionError:
            raise ApiError(
                503, "IDENTITY_PROVIDER_UNAVAILABLE", "the identity provider's keys cannot be read"
            ) from None
        except jwt.PyJWTError as exc:
            raise ApiError(401, "UNAUTHENTICATED", f"invalid JWT: {type(exc).__name__}") from None
        role = _strongest(claims.get(self.settings.role_claim))
        if role is None:
            raise ApiError(
                401, "UNAUTHENTICATED", f"the JWT carries no floe role in claim {self.settings.role_claim!r}"
            )
        subject = claims.get("email") or claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise ApiError(401, "UNAUTHENTICATED", "the JWT names no subject (email or sub)")
        return Identity(subject, role)


def _strongest(value: object) -> str | None:
    given = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return next((role for role in ROLES if role in given), None)  # ROLES: strongest first
