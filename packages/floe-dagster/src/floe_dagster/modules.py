"""Python asset modules listed in `orchestration.asset_modules`: import them, collect their definitions.

Every AssetsDefinition (single or multi-asset), AssetSpec, SourceAsset and asset check found at module
level (or in a module-level list/tuple) is collected, as-is: group, kinds, owners and description stay
what the decorator says. A module that cannot be found or imported is a FloeError naming the floe.yaml
entry, the file and the line; two definitions of one asset key are a FloeError naming both origins.
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

from dagster import AssetChecksDefinition, AssetKey, AssetsDefinition, AssetSpec, SourceAsset
from floe_core.errors import FloeError

FIELD = "orchestration.asset_modules"


@dataclass
class ModuleDefinitions:
    """What the asset modules define, plus where each asset key comes from (for duplicate errors)."""

    assets: list[AssetsDefinition] = field(default_factory=list)  # executable: wrapped by observability
    external: list[AssetsDefinition | AssetSpec | SourceAsset] = field(default_factory=list)
    checks: list[AssetChecksDefinition] = field(default_factory=list)
    origins: dict[AssetKey, str] = field(default_factory=dict)


def load_asset_modules(entries: Sequence[str], project_root: Path, spec_file: Path) -> ModuleDefinitions:
    found = ModuleDefinitions()
    seen: set[int] = set()  # one object imported into several modules counts once
    for index, entry in enumerate(entries):
        where = f"{spec_file}: {FIELD}[{index}] = {entry!r}"
        module = _import(entry, project_root, where)
        for attribute, value in _module_values(module):
            if id(value) in seen:
                continue
            seen.add(id(value))
            _collect(found, value, f"module {module.__name__!r} ({module.__file__}), attribute {attribute!r}")
    return found


def reject_duplicates(first: Mapping[AssetKey, str], second: Mapping[AssetKey, str]) -> None:
    """FloeError when a key is in both maps (e.g. a Python asset and a dbt model), naming both origins."""
    clashes = sorted(set(first) & set(second), key=lambda k: k.to_user_string())
    if clashes:
        key = clashes[0]
        raise FloeError(
            f"asset key {key.to_user_string()!r} is defined twice: by {first[key]} and by {second[key]};"
            " rename one of them (or map a dbt source onto the Python asset instead of modelling it in dbt)"
        )


def _import(entry: str, project_root: Path, where: str) -> ModuleType:
    is_path = entry.endswith(".py") or "/" in entry or "\\" in entry
    if is_path:
        path = (project_root / entry).resolve()
        if not path.is_file():
            raise FloeError(
                f"{where}: asset module file {path} does not exist (paths are relative to floe.yaml)"
            )
        return _guarded(lambda: import_file(path), where, path)
    if str(project_root) not in sys.path:
        sys.path.insert(0, str(project_root))  # dotted names resolve from the folder of floe.yaml first
    try:
        return _guarded(lambda: importlib.import_module(entry), where, None, entry)
    except _ModuleMissing:
        raise FloeError(
            f"{where}: asset module {entry!r} not found (looked in {project_root} and on sys.path);"
            " write a dotted module name or a .py path relative to floe.yaml"
        ) from None


class _ModuleMissing(Exception):
    pass


def _guarded(
    load: Callable[[], ModuleType], where: str, path: Path | None, entry: str | None = None
) -> ModuleType:
    try:
        module = load()
    except SyntaxError as exc:
        text = (exc.text or "").strip()
        shown = f": {text}" if text else ""
        raise FloeError(
            f"{where}: syntax error in {exc.filename}, line {exc.lineno}: {exc.msg}{shown}"
        ) from None
    except ModuleNotFoundError as exc:
        # Missing: the listed module (or its package) itself, not something it imports.
        if entry is not None and exc.name is not None and (entry + ".").startswith(exc.name + "."):
            raise _ModuleMissing from None
        raise _import_error(where, exc, path) from None
    except Exception as exc:
        raise _import_error(where, exc, path) from None
    return module


def _import_error(where: str, exc: BaseException, path: Path | None) -> FloeError:
    frames = traceback.extract_tb(exc.__traceback__)
    user = [f for f in frames if path is not None and Path(f.filename) == path] or [
        f for f in frames if "site-packages" not in f.filename and "<frozen" not in f.filename
    ]
    frame = (user or frames)[-1] if (user or frames) else None
    at = f" at {frame.filename}, line {frame.lineno}" if frame else ""
    return FloeError(f"{where}: importing the asset module failed{at}: {type(exc).__name__}: {exc}")


def import_file(path: Path) -> ModuleType:
    """Import a Python file by path (re-imported only when it changed)."""
    # A unique module name per file: two projects in one process (tests, several code locations) must
    # not share sys.modules entries like "assets.bronze".
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    name = f"floe_asset_modules.m{digest}.{path.stem}"
    existing = sys.modules.get(name)
    if existing is not None and getattr(existing, "__floe_mtime__", None) == path.stat().st_mtime_ns:
        return existing
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    module.__dict__["__floe_mtime__"] = path.stat().st_mtime_ns
    return module


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
