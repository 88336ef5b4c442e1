"""The user's Python that floe.yaml names: asset modules, and `module:function` targets (ops jobs, sensors).

One importer for both. An entry is a file path (`assets/bronze.py`, relative to floe.yaml) or a dotted
module name (resolved from the folder of floe.yaml first, then sys.path). Whatever goes wrong while
importing — the file is missing, a syntax error, an exception, even `sys.exit()` — is a `UserCodeError`
naming the file and line, never a traceback or an ended process.

From asset modules, every AssetsDefinition (single or multi-asset), AssetSpec, SourceAsset and asset check
found at module level (or in a module-level list/tuple) is collected as-is: group, kinds, owners and
description stay what the decorator says. Two definitions of one asset key are an error naming both.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from dagster import AssetChecksDefinition, AssetKey, AssetsDefinition, AssetSpec, SourceAsset
from floe_core.errors import FloeError

ASSET_MODULES_FIELD = "orchestration.asset_modules"


class UserCodeError(FloeError):
    """User code named in floe.yaml cannot be imported, or is not what floe.yaml says it is."""


@dataclass
class ModuleDefinitions:
    """What the asset modules define, plus where each asset key comes from (for duplicate errors)."""

    assets: list[AssetsDefinition] = field(default_factory=list)  # executable
    external: list[AssetsDefinition | SourceAsset] = field(default_factory=list)
    checks: list[AssetChecksDefinition] = field(default_factory=list)
    origins: dict[AssetKey, str] = field(default_factory=dict)


# -- importing -------------------------------------------------------------------------------------------
def is_path(entry: str) -> bool:
    """A file path rather than a dotted module name."""
    return entry.endswith(".py") or "/" in entry or "\\" in entry


def import_module(entry: str, project_root: Path) -> ModuleType:
    """The module named by `entry` (a .py path relative to `project_root`, or a dotted name)."""
    if is_path(entry):
        path = (project_root / entry).resolve()
        if path.suffix != ".py":
            raise UserCodeError(
                f"{entry!r} is not a Python file: expected a .py path or a dotted module name"
            )
        if not path.is_file():
            raise UserCodeError(f"file {path} does not exist (paths are relative to floe.yaml)")
        return _guarded(lambda: import_file(path), path)
    if str(project_root) not in sys.path:
        sys.path.insert(0, str(project_root))  # dotted names resolve from the folder of floe.yaml first
    return _guarded(lambda: importlib.import_module(entry), None, entry, project_root)


def import_target(target: str, project_root: Path) -> Callable[..., Any]:
    """The callable named by `module:function` (module as for `import_module`)."""
    module_part, colon, attr = target.rpartition(":")
    if not colon or not module_part or not attr:
        raise UserCodeError(f"{target!r}: expected 'module:function' or 'path/to/file.py:function'")
    module = import_module(module_part, project_root)
    value = getattr(module, attr, None)
    if value is None:
        raise UserCodeError(f"{module_part!r} ({module.__file__}) has no attribute {attr!r}")
    if not callable(value):
        raise UserCodeError(f"{target!r} is a {type(value).__name__}, expected a function")
    return value  # type: ignore[no-any-return]


def import_file(path: Path) -> ModuleType:
    """Import a Python file by path (imported again only when it changed)."""
    # A unique module name per file: two projects in one process (tests, several code locations) must
    # not share sys.modules entries like "assets.bronze".
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    name = f"floe_user_code.m{digest}.{path.stem}"
    existing = sys.modules.get(name)
    if existing is not None and getattr(existing, "__floe_mtime__", None) == path.stat().st_mtime_ns:
        return existing
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UserCodeError(f"{path} cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    module.__dict__["__floe_mtime__"] = path.stat().st_mtime_ns
    return module


def _guarded(
    load: Callable[[], ModuleType], path: Path | None, entry: str | None = None, root: Path | None = None
) -> ModuleType:
    try:
        return load()
    except SyntaxError as exc:
        text = (exc.text or "").strip()
        shown = f": {text}" if text else ""
        raise UserCodeError(f"syntax error in {exc.filename}, line {exc.lineno}: {exc.msg}{shown}") from None
    except ModuleNotFoundError as exc:
        # Missing: the named module (or its package) itself, not something it imports.
        if entry is not None and exc.name is not None and (entry + ".").startswith(exc.name + "."):
            raise UserCodeError(
                f"module {entry!r} not found (looked in {root} and on sys.path): write a dotted module"
                " name or a .py path relative to floe.yaml"
            ) from None
        raise _failed(exc, path) from None
    except SystemExit as exc:  # would end the webserver, the daemon or a run worker without a word
        raise _failed(exc, path, f"called sys.exit({exc.code!r}) while being imported") from None
    except Exception as exc:
        raise _failed(exc, path) from None


def _failed(exc: BaseException, path: Path | None, what: str | None = None) -> UserCodeError:
    frames = traceback.extract_tb(exc.__traceback__)
    user = [f for f in frames if path is not None and Path(f.filename) == path] or [
        f for f in frames if "site-packages" not in f.filename and "<frozen" not in f.filename
    ]
    frame = (user or frames)[-1] if (user or frames) else None
    at = f" at {frame.filename}, line {frame.lineno}" if frame else ""
    return UserCodeError(f"importing failed{at}: {what or f'{type(exc).__name__}: {exc}'}")


# -- asset modules ---------------------------------------------------------------------------------------
def load_asset_modules(entries: Sequence[str], project_root: Path, spec_file: Path) -> ModuleDefinitions:
    found = ModuleDefinitions()
    seen: set[int] = set()  # one object imported into several modules counts once
    for index, entry in enumerate(entries):
        try:
            module = import_module(entry, project_root)
        except UserCodeError as exc:
            raise UserCodeError(f"{spec_file}: {ASSET_MODULES_FIELD}[{index}] = {entry!r}: {exc}") from None
        for attribute, value in _module_values(module):
            if id(value) in seen:
                continue
            seen.add(id(value))
            _collect(found, value, f"module {module.__name__!r} ({module.__file__}), attribute {attribute!r}")
    return found


def reject_duplicates(first: Mapping[AssetKey, str], second: Mapping[AssetKey, str]) -> None:
    """UserCodeError when a key is in both maps (e.g. a Python asset and a dbt model), naming both."""
    clashes = sorted(set(first) & set(second), key=lambda k: k.to_user_string())
    if clashes:
        key = clashes[0]
        raise UserCodeError(
            f"asset key {key.to_user_string()!r} is defined twice: by {first[key]} and by {second[key]};"
            " rename one of them (or map a dbt source onto the Python asset instead of modelling it in dbt)"
        )


def _module_values(module: ModuleType) -> Iterable[tuple[str, object]]:
    for attribute, value in list(vars(module).items()):
        if attribute.startswith("__"):
            continue
        if isinstance(value, list | tuple):
            yield from ((f"{attribute}[{i}]", item) for i, item in enumerate(value))
        else:
            yield attribute, value


def _collect(found: ModuleDefinitions, value: object, origin: str) -> None:
    if isinstance(value, AssetChecksDefinition):
        found.checks.append(value)
        return
    if isinstance(value, AssetsDefinition):
        keys = list(value.keys)
        (found.assets if value.is_executable else found.external).append(value)
    elif isinstance(value, AssetSpec):
        keys = [value.key]
        # As an (external, non-executable) AssetsDefinition, so later layers handle one type.
        found.external.append(AssetsDefinition(specs=[value]))
    elif isinstance(value, SourceAsset):
        keys = [value.key]
        found.external.append(value)
    else:
        return
    for key in keys:
        reject_duplicates(found.origins, {key: origin})
        found.origins[key] = origin
