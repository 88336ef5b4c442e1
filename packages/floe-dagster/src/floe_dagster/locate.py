"""Finding `.floe/compiled_artifacts.json` and reading the dbt manifest once per process.

Loading a code location must stay cheap: everything here reads files `floe compile` already produced;
nothing parses SQL or calls dbt.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from floe_core.artifacts import ARTIFACTS_FILENAME, DEFAULT_OUTPUT_DIR, CompiledArtifacts
from floe_core.errors import FloeError

ARTIFACTS_ENV = "FLOE_ARTIFACTS"
SPEC_FILENAME = "floe.yaml"
RUN_COMPILE = "run `floe compile` in the folder holding floe.yaml"


def find_artifacts(path: str | Path | None = None, caller_file: str | None = None) -> Path:
    """The artifacts file: explicit `path`, else $FLOE_ARTIFACTS, else next to the nearest floe.yaml.

    The nearest floe.yaml is searched upward from the calling module's folder first (so `dagster dev -f
    orchestration/definitions.py` works from any cwd), then upward from the cwd.
    """
    if path is not None:
        return _artifacts_file(Path(path))
    from_env = os.environ.get(ARTIFACTS_ENV)
    if from_env:
        return _artifacts_file(Path(from_env))
    starts = [Path(caller_file).resolve().parent] if caller_file else []
    starts.append(Path.cwd())
    for start in starts:
        spec = _nearest_spec(start)
        if spec is not None:
            return spec.parent / DEFAULT_OUTPUT_DIR / ARTIFACTS_FILENAME
    searched = " and ".join(str(s) for s in starts)
    raise FloeError(
        f"no {SPEC_FILENAME} found in {searched} or any parent folder, and ${ARTIFACTS_ENV} is not set:"
        f" {RUN_COMPILE}, or pass the path of compiled_artifacts.json"
    )


def load_artifacts(path: Path) -> CompiledArtifacts:
    """CompiledArtifacts from `path`; CompiledArtifacts.load already says `run floe compile` on failure."""
    return CompiledArtifacts.load(path)


def _artifacts_file(path: Path) -> Path:
    # A folder is accepted too: the project root (holding floe.yaml) or the .floe output folder.
    if path.is_dir():
        inside = path / ARTIFACTS_FILENAME
        return inside if inside.exists() else path / DEFAULT_OUTPUT_DIR / ARTIFACTS_FILENAME
    return path


def _nearest_spec(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        candidate = folder / SPEC_FILENAME
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True)
class DbtManifest:
    """A parsed dbt manifest.json (dbt's own schema, handed as-is to dagster-dbt)."""

    path: Path
    data: Mapping[str, Any]

    @property
    def project_name(self) -> str:
        return str(self.data.get("metadata", {}).get("project_name", ""))


# resolved path -> ((mtime_ns, size), manifest); a recompile changes mtime/size and so invalidates it.
_MANIFESTS: dict[str, tuple[tuple[int, int], DbtManifest]] = {}


def load_manifest(path: Path) -> DbtManifest:
    """The manifest at `path`, read once per process per file version; FloeError if absent or invalid."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise FloeError(f"dbt manifest not found at {path}: {RUN_COMPILE}") from exc
    resolved, version = str(path.resolve()), (stat.st_mtime_ns, stat.st_size)
    cached = _MANIFESTS.get(resolved)
    if cached is not None and cached[0] == version:
        return cached[1]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FloeError(f"dbt manifest at {path} is unreadable ({exc}): {RUN_COMPILE}") from exc
    missing = [
        k
        for k in ("metadata", "nodes", "sources", "parent_map")
        if not isinstance(data, dict) or k not in data
    ]
    if missing:
        raise FloeError(f"dbt manifest at {path} is invalid (missing {', '.join(missing)}): {RUN_COMPILE}")
    manifest = DbtManifest(path=path.resolve(), data=data)
    _MANIFESTS[resolved] = (version, manifest)
    return manifest
