"""A small HTTP client of the workflow API for the CLI: base URL and token from options or the environment
(FLOE_API_URL, FLOE_API_TOKEN); API errors become ApiFailure with an exit code a script can test."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

# exit codes of `floe workflow <verb>` (docs/workflow-api.md)
EXIT_CODES = {400: 3, 401: 4, 403: 4, 404: 5, 409: 6, 422: 3, 503: 7}
UNREACHABLE = 7


class ApiFailure(Exception):
    def __init__(self, exit_code: int, message: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Client:
    def __init__(self, url: str | None = None, token: str | None = None, timeout: float = 150.0) -> None:
        self.url = (url or os.environ.get("FLOE_API_URL") or "http://127.0.0.1:8000").rstrip("/")
        token = token or os.environ.get("FLOE_API_TOKEN")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        # imported here, not with the module: every `floe` command builds the parser that names this client,
        # and httpx (with its own CLI's rich and click) takes ~0.3 s to import
        import httpx

        self._http: httpx.Client = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx

        try:
            response = self._http.request(method, f"/api/v1/workflows{path}", **kwargs)
        except httpx.HTTPError as exc:
            raise ApiFailure(
                UNREACHABLE, f"the workflow API at {self.url} is unreachable ({type(exc).__name__})"
            ) from None
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {}
            code = body.get("code", f"HTTP_{response.status_code}") if isinstance(body, dict) else "HTTP"
            message = body.get("message") if isinstance(body, dict) else None
            if message is None:
                message = str(body.get("detail", response.text)) if isinstance(body, dict) else response.text
            problems = body.get("problems", []) if isinstance(body, dict) else []
            text = "\n".join([f"{code}: {message}" if not problems else f"{code}:", *problems])
            raise ApiFailure(EXIT_CODES.get(response.status_code, 2), text)
        return response.json()
