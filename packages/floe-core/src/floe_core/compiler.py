"""`compile_project`: floe.yaml -> `.floe/` (compiled_artifacts.json plus whatever compile steps write).

Atomicity: every output is first written to a staging folder inside the output folder. Only when the spec is
valid and every step succeeded does the staging folder become a build, `.floe/builds/<id>/` (one rename),
and `.floe/current`, a symbolic link, is switched to it (one more rename: the single atomic switch). The
names readers use — `.floe/compiled_artifacts.json`, `.floe/profiles`, `.floe/dbt` — are fixed links through
`current`, so they always show one build as a whole: a failure or a kill at any point leaves the previous
outputs in place, never a new manifest beside old artifacts. The previous build is kept for a process that
still reads it; older ones, and staging folders of compiles that died, are removed.

Secrets: what is written holds the spec with references to secret-looking variables kept as `${NAME}`
(floe_core.interpolation, "deferred references"); CompiledArtifacts.load resolves them in the process that
reads the file, and floe-dbt writes them into profiles.yml as `{{ env_var(...) }}`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
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
from floe_core.staleness import compile_inputs


def floe_version() -> str:
    try:
        return version("floe-data-core")
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


BUILDS_DIR = "builds"
CURRENT_LINK = "current"
STAGING_PREFIX = ".staging-"
_KEEP_BUILDS = 2  # the new build and the one before it (a running process may still be reading it)
_STALE_SECONDS = 3600  # a staging folder without a process id (older floe) is stale after an hour


def _publish(staging: Path, output_dir: Path) -> None:
    """Make the staging folder a build and switch `current` to it (module docstring)."""
    builds = output_dir / BUILDS_DIR
    builds.mkdir(exist_ok=True)
    build = builds / f"{time.time_ns():020d}-{os.getpid()}"
    staging.rename(build)  # same filesystem: atomic
    _switch_link(output_dir / CURRENT_LINK, Path(BUILDS_DIR) / build.name)
    for entry in sorted(build.iterdir(), key=lambda p: p.name == ARTIFACTS_FILENAME):  # artifacts last
        _ensure_link(output_dir / entry.name, Path(CURRENT_LINK) / entry.name)
    _prune_builds(builds)


def _switch_link(link: Path, target: Path) -> None:
    """Point `link` at `target` atomically: a new link under a temporary name, renamed over the old one."""
    temporary = link.with_name(f"{link.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    if link.is_dir() and not link.is_symlink():
        # an output of an older floe, or a project copied without its links (copytree follows them)
        shutil.rmtree(link)
    temporary.symlink_to(target)
    temporary.replace(link)


def _ensure_link(path: Path, target: Path) -> None:
    """`path` is a fixed link to `target` (through `current`); an output of an older floe, a real file or
    folder at that name, is replaced once."""
    if path.is_symlink() and path.readlink() == target:
        return
    _switch_link(path, target)


def _prune_builds(builds: Path) -> None:
    for old in sorted(builds.iterdir(), reverse=True)[_KEEP_BUILDS:]:
        shutil.rmtree(old, ignore_errors=True)


def _remove_stale_staging(output_dir: Path) -> None:
    """Staging folders left by a compile that was killed: its process is gone (or, for a folder without a
    process id in its name, an hour has passed)."""
    for folder in output_dir.glob(f"{STAGING_PREFIX}*"):
        pid_text = folder.name[len(STAGING_PREFIX) :].split("-", 1)[0]
        if pid_text.isdigit():
            if _process_alive(int(pid_text)):
                continue
        else:
            try:
                if time.time() - folder.stat().st_mtime < _STALE_SECONDS:
                    continue
            except OSError:
                continue
        shutil.rmtree(folder, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
    _remove_stale_staging(out)
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=out))
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
            inputs=compile_inputs(
                spec_path.read_text(encoding="utf-8"),
                os.environ if env is None else env,
                project_root / dbt.project_dir if dbt is not None else None,
            ),
        )
        (staging / ARTIFACTS_FILENAME).write_text(artifacts.to_json(), encoding="utf-8")
        _publish(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    # what CompiledArtifacts.load gives for the file just written: references resolved again
    resolved = artifacts.model_copy(update={"spec": loaded.spec}) if loaded.defers_secrets else artifacts
    return resolved.bound_to(out / ARTIFACTS_FILENAME)
