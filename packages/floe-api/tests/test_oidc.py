"""JWT bearer tokens from an OIDC identity provider: a loopback JWKS endpoint serves the provider's public
key; tokens signed with its private key are verified (signature, issuer, audience, expiry) and mapped to a
floe role by their claim; the API's own hashed tokens keep working beside them."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from floe_api.app import create_app
from floe_api.oidc import OidcSettings
from floe_api.settings import Settings

ISSUER = "https://idp.example.com/"
AUDIENCE = "floe-api"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def jwks_url() -> Iterator[str]:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
    body = json.dumps({"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    server.shutdown()
    server.server_close()


@pytest.fixture
def client(db_url: str, tmp_path: Path, jwks_url: str) -> Iterator[TestClient]:
    settings = Settings(
        database_url=db_url,
        dagster_url="http://127.0.0.1:9",
        store=tmp_path / "store",
        dagster_timeout=1,
        run_sync_interval=0,
        oidc=OidcSettings(issuer=ISSUER, audience=AUDIENCE, jwks_url=jwks_url),
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _token(key: Any = KEY, **claims: Any) -> dict[str, str]:
    payload = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "u-1",
        "email": "ana@example.com",
        "exp": int(time.time()) + 300,
        "floe_role": "developer",
        **claims,
    }
    payload = {k: v for k, v in payload.items() if v is not None}
    return {"Authorization": f"Bearer {jwt.encode(payload, key, algorithm='RS256', headers={'kid': 'k1'})}"}


def test_a_valid_jwt_is_the_caller_with_its_role(client: TestClient) -> None:
    assert client.get("/api/v1/workflows", headers=_token()).status_code == 200
    # a developer may not pause everything (admin only): the role came from the claim
    denied = client.post("/api/v1/workflows/pause-all", headers=_token(), json={})
    assert denied.status_code == 403 and denied.json()["code"] == "WORKFLOW_PERMISSION_DENIED"
    assert client.get("/api/v1/workflows", headers=_token(floe_role=["viewer", "admin"])).status_code == 200


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ({"exp": -10}, "ExpiredSignatureError"),
        ({"aud": "someone-else"}, "InvalidAudienceError"),
        ({"iss": "https://evil.example.com/"}, "InvalidIssuerError"),
        ({"key": OTHER_KEY}, "InvalidSignatureError"),
        ({"floe_role": "owner"}, "no floe role"),
        ({"floe_role": None}, "no floe role"),
    ],
)
def test_a_bad_jwt_is_401_saying_why(client: TestClient, claims: dict[str, Any], why: str) -> None:
    # tokens are made here, not at collection: a slow run must not expire them before they are used
    changes = dict(claims)
    if "exp" in changes:
        changes["exp"] = int(time.time()) + changes["exp"]
    token = _token(**changes)
    response = client.get("/api/v1/workflows", headers=token)
    assert response.status_code == 401 and response.json()["code"] == "UNAUTHENTICATED"
    assert why in response.json()["message"]
    assert token["Authorization"].split()[1] not in response.text


def test_the_apis_own_tokens_still_work(client: TestClient) -> None:
    own = client.app.state.service.registry.create_token("ops@example.com", "admin")  # type: ignore[attr-defined]
    assert client.get("/api/v1/workflows", headers={"Authorization": f"Bearer {own}"}).status_code == 200
