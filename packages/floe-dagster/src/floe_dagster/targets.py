"""Importing `package.module:function` / `path/to/file.py:function` targets named in floe.yaml."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from floe_dagster.modules import import_file


def import_target(target: str, project_root: Path) -> Callable[..., Any]:
    """The callable named by `target`; ValueError (with the reason) when it cannot be imported."""
    module_part, _, attr = target.rpartition(":")
    try:
        if module_part.endswith(".py") or "/" in module_part:
            module = _import_file((project_root / module_part).resolve())
        else:
            if str(project_root) not in sys.path:
                sys.path.insert(0, str(project_root))  # dotted names resolve from the folder of floe.yaml
            module = importlib.import_module(module_part)
    except SyntaxError as exc:
        raise ValueError(f"syntax error in {exc.filename}, line {exc.lineno}: {exc.msg}") from None
    except Exception as exc:
        raise ValueError(f"cannot import {module_part!r}: {type(exc).__name__}: {exc}") from None
    value = getattr(module, attr, None)
    if value is None:
        raise ValueError(f"{module_part!r} ({module.__file__}) has no attribute {attr!r}")
    if not callable(value):
        raise ValueError(f"{target!r} is a {type(value).__name__}, expected a function")
    return value  # type: ignore[no-any-return]


def _import_file(path: Path) -> Any:
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist (paths are relative to floe.yaml)")
    return import_file(path)
