"""The compile-step contract: packages extend `floe compile` through entry point group `floe.compile_steps`.

A step is a callable `(CompileContext) -> CompileStepResult` (returning None means "nothing to report").
It writes its files under `context.staging_dir`, using the layout they will have under `output_dir`
(e.g. `staging_dir/profiles/profiles.yml` ends up at `output_dir/profiles/profiles.yml`). Paths it records in
the result (DbtArtifacts) are project-relative and point at the *final* location. A step signals a user
error by raising FloeError; the compiler then leaves every previous output untouched.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from floe_core.artifacts import ActiveTarget, DbtArtifacts
from floe_core.errors import FloeError
from floe_core.spec import FloeSpec

ENTRY_POINT_GROUP = "floe.compile_steps"


@dataclass(frozen=True)
class CompileContext:
    """What a compile step gets: the validated spec and where to write."""

    spec: FloeSpec
    spec_path: Path  # absolute floe.yaml
    project_root: Path  # absolute folder of floe.yaml
    output_dir: Path  # absolute final output folder (.floe)
    staging_dir: Path  # absolute; steps write here, same relative layout as output_dir

    def relative(self, final_path: Path) -> str:
        """`final_path` relative to the project root, the way CompiledArtifacts records paths."""
        return Path(os.path.relpath(final_path, self.project_root)).as_posix()


@dataclass(frozen=True)
class CompileStepResult:
    """What a step contributes to CompiledArtifacts."""

    dbt: DbtArtifacts | None = None
    target: ActiveTarget | None = None


CompileStep = Callable[[CompileContext], CompileStepResult | None]


def discover_steps() -> list[tuple[str, CompileStep]]:
    """Installed compile steps, ordered by entry point name so runs are reproducible."""
    steps: list[tuple[str, CompileStep]] = []
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name):
        try:
            steps.append((ep.name, ep.load()))
        except (ImportError, AttributeError) as exc:
            raise FloeError(
                f"compile step '{ep.name}' ({ep.value}) cannot be loaded: {exc};"
                " reinstall the package providing it"
            ) from exc
    return steps
