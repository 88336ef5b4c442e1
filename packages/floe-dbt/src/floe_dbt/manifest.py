"""The dbt manifest written by `floe compile` (`dbt parse`): loaded and checked, errors say what to do."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from floe_core.errors import FloeError

# Manifest schema versions this floe reads: v12 is written by dbt 1.8 up to 1.11 (floe needs dbt >= 1.10).
SUPPORTED_SCHEMA_VERSIONS = frozenset({12})
_SCHEMA_URL = re.compile(r"/manifest/v(\d+)\.json$")


@dataclass(frozen=True)
class DbtManifest:
    """A validated manifest.json; `raw` is the parsed JSON as dagster-dbt consumes it."""

    path: Path
    schema_version: int
    dbt_version: str
    raw: Mapping[str, Any]

    @property
    def project_name(self) -> str:
        return str(self.raw["metadata"].get("project_name", ""))

    def model_names(self) -> list[str]:
        """Names of the project's models (nodes of resource_type model), sorted."""
        nodes: Mapping[str, Mapping[str, Any]] = self.raw.get("nodes", {})
        return sorted(str(n["name"]) for n in nodes.values() if n.get("resource_type") == "model")


def load_manifest(path: str | Path) -> DbtManifest:
    """Read a manifest.json; missing, unreadable, invalid or from an unsupported dbt -> FloeError."""
    p = Path(path)
    if not p.is_file():
        raise FloeError(f"dbt manifest not found at {p}: run `floe compile`")
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FloeError(f"dbt manifest at {p} is not valid JSON ({exc}): run `floe compile` again") from exc
    metadata = raw.get("metadata") if isinstance(raw, dict) else None
    if not isinstance(metadata, dict) or not isinstance(raw.get("nodes"), dict):
        raise FloeError(f"{p} is not a dbt manifest (no metadata/nodes): run `floe compile` again")
    url = str(metadata.get("dbt_schema_version", ""))
    match = _SCHEMA_URL.search(url)
    dbt_version = str(metadata.get("dbt_version", "unknown"))
    if match is None or int(match.group(1)) not in SUPPORTED_SCHEMA_VERSIONS:
        wanted = ", ".join(f"v{v}" for v in sorted(SUPPORTED_SCHEMA_VERSIONS))
        raise FloeError(
            f"dbt manifest at {p} has schema {url or 'unknown'} (written by dbt {dbt_version});"
            f" floe reads manifest schema {wanted} (dbt 1.8-1.11): run `floe compile` again with the"
            " installed dbt"
        )
    return DbtManifest(path=p, schema_version=int(match.group(1)), dbt_version=dbt_version, raw=raw)
