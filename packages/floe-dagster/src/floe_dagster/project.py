"""Locating and loading the compiled project: `.floe/compiled_artifacts.json` and the dbt manifest.

Loading a code location must stay cheap: everything here reads what `floe compile` already produced (the
manifest through floe-dbt's one loader); nothing parses SQL or calls dbt.
"""

from __future__ import annotations

import inspect
import logging
import os
from pathlib import Path

from floe_core.artifacts import ARTIFACTS_FILENAME, DEFAULT_OUTPUT_DIR, ActiveTarget, CompiledArtifacts
from floe_core.errors import FloeError
from floe_core.staleness import stale_reasons
from floe_dbt.manifest import DbtManifest
from floe_dbt.manifest import load_manifest as _load_manifest

ARTIFACTS_ENV = "FLOE_ARTIFACTS"
SPEC_FILENAME = "floe.yaml"
RUN_COMPILE = "run `floe compile` in the folder holding floe.yaml"
log = logging.getLogger("floe.project")


def caller_file(depth: int = 2) -> str | None:
    """The file of the code `depth` frames up (the user's definitions.py, for the zero-argument factory).

    Why a frame: `dagster dev -f orchestration/definitions.py` may run from any folder, and the nearest
    floe.yaml above *that file* is where the project is. Dagster's load context (DefinitionsLoadContext,
    checked on 1.13) does not expose the file it is loading, and the working directory it adds to
    sys.path is the cwd, not the file's folder. `path=__file__` or $FLOE_ARTIFACTS avoid the lookup."""
    frame = inspect.currentframe()
    for _ in range(depth):
        frame = frame.f_back if frame is not None else None
    return frame.f_code.co_filename if frame is not None else None


def find_artifacts(path: str | Path | None = None, caller: str | None = None) -> Path:
    """The artifacts file: explicit `path`, else $FLOE_ARTIFACTS, else next to the nearest floe.yaml.

    The nearest floe.yaml is searched upward from the calling module's folder first (so `dagster dev -f
    orchestration/definitions.py` works from any cwd), then upward from the cwd.
    """
    if path is not None:
        return _artifacts_file(Path(path))
    from_env = os.environ.get(ARTIFACTS_ENV)
    if from_env:
        return _artifacts_file(Path(from_env))
    starts = [Path(caller).resolve().parent] if caller else []
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
    """CompiledArtifacts from `path`; FloeError saying `run floe compile` when they cannot serve a load."""
    artifacts = CompiledArtifacts.load(path)
    if artifacts.dbt is None and artifacts.spec.dbt_transform is not None:
        raise FloeError(
            f"compiled artifacts for {spec_file(artifacts)} have no dbt section although floe.yaml has a"
            f" dbt transform: {RUN_COMPILE}"
        )
    warn_if_stale(artifacts)
    return artifacts


def warn_if_stale(artifacts: CompiledArtifacts) -> list[str]:
    """One WARNING when what `floe compile` read has changed since (floe_core.staleness): the code location
    serves the compiled state, not the edited one, and says so instead of staying silent."""
    if artifacts.inputs is None:
        return []
    dbt_project = artifacts.resolve(artifacts.dbt.project_dir) if artifacts.dbt is not None else None
    reasons = stale_reasons(artifacts.inputs, spec_file(artifacts), os.environ, dbt_project)
    if reasons:
        log.warning(
            "compiled artifacts are stale (%s since floe compile); this code location serves the compiled"
            " state: %s",
            "; ".join(reasons),
            RUN_COMPILE,
        )
    return reasons


def active_target(artifacts: CompiledArtifacts) -> ActiveTarget:
    """The active compute target as `floe compile` resolved it (floe-dbt's target module)."""
    if artifacts.target is None:
        raise FloeError(
            f"compiled artifacts for {spec_file(artifacts)} do not describe the active compute target"
            f" (compiled by an older floe, or without floe-dbt installed): {RUN_COMPILE}"
        )
    return artifacts.target


def spec_file(artifacts: CompiledArtifacts) -> Path:
    return artifacts.resolve(artifacts.spec_path)


def manifest_path(artifacts: CompiledArtifacts) -> Path | None:
    return None if artifacts.dbt is None else artifacts.resolve(artifacts.dbt.manifest_path)


def load_manifest(path: Path) -> DbtManifest:
    """The manifest at `path` through floe-dbt's loader (checked, parsed once per process and version)."""
    return _load_manifest(path)


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
