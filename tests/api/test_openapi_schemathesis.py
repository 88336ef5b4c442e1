"""schemathesis (property-based requests from the live app's OpenAPI document, in-process ASGI): no 5xx but
the documented 503 (Dagster is unreachable here), and every response conforms to the schema.

The summary of the last run is kept in tests/api/schemathesis_report.md (regenerate with
`FLOE_SCHEMATHESIS_REPORT=1 pytest tests/api/test_openapi_schemathesis.py`)."""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from pathlib import Path

import schemathesis
from floe_api.app import create_app
from floe_api.settings import Settings
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

HERE = Path(__file__).parent
# one database per process: pytest-xdist workers all import this module to collect it, at the same time
_DB = Path(tempfile.mkdtemp(prefix="floe-schemathesis-")) / "api.db"
APP = create_app(
    Settings(
        database_url=f"sqlite:///{_DB}",
        dagster_url="http://127.0.0.1:9",  # nothing listens: the orchestrator is "down"
        store=_DB.parent / "schemathesis_store",
        dagster_timeout=1,
    )
)
TOKEN = APP.state.service.registry.create_token("admin@example.com", "admin")
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
SEEN: Counter[str] = Counter()


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi(case: schemathesis.Case) -> None:
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {TOKEN}"}
    response = case.call()
    SEEN[f"{case.method} {case.path} {response.status_code}"] += 1
    assert response.status_code < 500 or response.status_code == 503, response.text
    case.validate_response(
        response, checks=[response_schema_conformance, status_code_conformance, content_type_conformance]
    )


def teardown_module() -> None:
    if os.environ.get("FLOE_SCHEMATHESIS_REPORT"):
        lines = [
            "# schemathesis report (tests/api/test_openapi_schemathesis.py)",
            "",
            f"schemathesis {schemathesis.SCHEMATHESIS_VERSION}; 25 examples per operation; checks:"
            " response_schema_conformance, status_code_conformance, content_type_conformance, no 5xx but 503.",
            "",
            "| request | status | count |",
            "|---|---|---|",
        ]
        for key, count in sorted(SEEN.items()):
            method, path, status = key.split(" ")
            lines.append(f"| {method} {path} | {status} | {count} |")
        (HERE / "schemathesis_report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
