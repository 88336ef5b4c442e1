"""`compile_project`: floe.yaml -> `.floe/` (compiled_artifacts.json plus whatever compile steps write).

Atomicity: every output is first written to a staging folder inside the output folder; only when the spec is
valid and every step succeeded is each staged file moved into place with os.replace (atomic per file),
compiled_artifacts.json last. Any failure leaves the previous outputs byte-identical.

Secrets: what is written holds the spec with references to secret-looking variables kept as `${NAME}`
(floe_core.interpolation, "deferred references"); CompiledArtifacts.load resolves them in the process that
reads the file, and floe-dbt writes them into profiles.yml as `{{ env_var(...) }}`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from floe_core.artifacts import (
    ARTIFACTS_FILENAME,
    DEFAULT_OUTPUT_DIR,
    ActiveTarget,
    CompiledArtifacts,
    DbtArtifacts,
)
from floe_core.compile_steps import CompileContext, CompileStep, discover_steps
from floe_core.errors import FloeError
from floe_core.loader import load_spec_to_store


def floe_version() -> str:
    try:
        return version("floe-core")
    except PackageNotFoundError:  # running from a source tree without metadata
        return "0+unknown"


def _run_steps(
    steps: Mapping[str, CompileStep], context: CompileContext
) -> tuple[DbtArtifacts | None, ActiveTarget | None]:
    dbt: DbtArtifacts | None = None
    target: ActiveTarget | None = None
    for name, step in steps.items():
        try:
            result = step(context)
        except FloeError:
            raise
        except Exception as exc:
            exc.add_note(f"raised by floe compile step '{name}'")
            raise
        if result is not None and result.dbt is not None:
            if dbt is not None:
                raise FloeError(f"compile step '{name}' reports dbt artifacts, but another step already did")
            dbt = result.dbt
        if result is not None and result.target is not None:
            if target is not None:
                raise FloeError(
                    f"compile step '{name}' resolves the active target, but another step already did"
                )
            target = result.target
    return dbt, target


def _publish(staging: Path, output_dir: Path) -> None:
    """Move every staged file to the same place under output_dir; the artifacts file goes last."""
    staged = sorted(p for p in staging.rglob("*") if p.is_file() and p.name != ARTIFACTS_FILENAME)
    for source in [*staged, staging / ARTIFACTS_FILENAME]:
        target = output_dir / source.relative_to(staging)
        target.parent.mkdir(parents=True, exist_ok=True)
        source.replace(target)  # os.replace: atomic within one filesystem


def compile_project(
    config_path: str | Path,
    output_dir: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    steps: Mapping[str, CompileStep] | None = None,
) -> CompiledArtifacts:
    """Validate floe.yaml and write `<output_dir>/compiled_artifacts.json` plus every step's files.

    `output_dir` defaults to `.floe` next to floe.yaml; `env` to os.environ; `steps` (name -> step) to
    the installed entry points of group `floe.compile_steps`.
    """
    loaded = load_spec_to_store(config_path, env)
    spec = loaded.stored  # secret-looking ${VARS} kept as references: nothing written holds their values
    spec_path = Path(config_path).resolve()
    project_root = spec_path.parent
    out = Path(output_dir).resolve() if output_dir is not None else project_root / DEFAULT_OUTPUT_DIR
    if out.exists() and not out.is_dir():
        raise FloeError(f"output folder {out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    chosen = dict(discover_steps()) if steps is None else dict(steps)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out))
    try:
        context = CompileContext(spec, spec_path, project_root, out, staging)
        dbt, target = _run_steps(chosen, context)
        artifacts = CompiledArtifacts(
            floe_version=floe_version(),
            project_root=Path(os.path.relpath(project_root, out)).as_posix(),
            spec_path=Path(os.path.relpath(spec_path, project_root)).as_posix(),
            spec=spec,
            dbt=dbt,
            target=target,
        )
        (staging / ARTIFACTS_FILENAME).write_text(artifacts.to_json(), encoding="utf-8")
        _publish(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    # what CompiledArtifacts.load gives for the file just written: references resolved again
    resolved = artifacts.model_copy(update={"spec": loaded.spec}) if loaded.defers_secrets else artifacts
    return resolved.bound_to(out / ARTIFACTS_FILENAME)
