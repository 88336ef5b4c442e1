"""The dbt manifest written by `floe compile` (`dbt parse`): loaded and checked, errors say what to do.

The one manifest loader of floe: `floe compile` checks what dbt wrote with it, and every Dagster process
reads the manifest through it (parsed once per process per file version: a recompile changes the file's
size or mtime, so the next read parses the new one).
"""

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


_SECTIONS = ("nodes", "sources", "parent_map")  # mappings floe and dagster-dbt read
# resolved path -> ((mtime_ns, size), manifest)
_loaded: dict[str, tuple[tuple[int, int], DbtManifest]] = {}


def load_manifest(path: str | Path) -> DbtManifest:
    """Read a manifest.json (once per process per file version); missing, unreadable, invalid or from an
    unsupported dbt -> FloeError saying to run `floe compile`."""
    p = Path(path)
    try:
        stat = p.stat()
    except OSError:
        raise FloeError(f"dbt manifest not found at {p}: run `floe compile`") from None
    if not p.is_file():
        raise FloeError(f"dbt manifest not found at {p} (not a file): run `floe compile`")
    key, version = str(p.resolve()), (stat.st_mtime_ns, stat.st_size)
    remembered = _loaded.get(key)
    if remembered is not None and remembered[0] == version:
        return remembered[1]
    manifest = _read(p)
    _loaded[key] = (version, manifest)
    return manifest


def _read(p: Path) -> DbtManifest:
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FloeError(f"dbt manifest at {p} is not valid JSON ({exc}): run `floe compile` again") from exc
    metadata = raw.get("metadata") if isinstance(raw, dict) else None
    if not isinstance(metadata, dict):
        raise FloeError(f"{p} is not a dbt manifest (no metadata): run `floe compile` again")
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
    wrong = [k for k in _SECTIONS if not isinstance(raw.get(k), dict)]
    if wrong:
        shapes = ", ".join(f"{k} is {type(raw.get(k)).__name__ if k in raw else 'missing'}" for k in wrong)
        raise FloeError(
            f"{p} is not a valid dbt manifest ({shapes}; expected mappings): run `floe compile` again"
        )
    return DbtManifest(path=p.resolve(), schema_version=int(match.group(1)), dbt_version=dbt_version, raw=raw)
