"""Wrap a Python asset's compute function without touching the user's code (SC-010).

The op is rebuilt around a `functools.wraps` wrapper of the user's function: Dagster inspects the
signature through `__wrapped__`, so context/config/resource/input parameters, keys, deps, metadata,
partitions, checks, retry policy and tags are all preserved. The wrapper is of the same kind as the
function (plain, generator, coroutine) so Dagster drives it exactly as before.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Generator
from contextlib import AbstractContextManager
from typing import Any

from dagster import AssetsDefinition, OpDefinition

from floe_dagster.compat import assets_with_op, decorated_function, op_with_function

Around = Callable[[], AbstractContextManager[None]]


def is_wrappable(assets_def: AssetsDefinition) -> bool:
    if not assets_def.is_executable or not assets_def.keys:
        return False
    try:
        node = assets_def.node_def
    except Exception:  # external / spec-only assets have no computation
        return False
    if not isinstance(node, OpDefinition):
        return False
    fn = decorated_function(node)
    return fn is not None and not inspect.isasyncgenfunction(fn)


def wrap_compute(assets_def: AssetsDefinition, around: Around) -> AssetsDefinition:
    """A copy of `assets_def` whose computation runs inside `around()`; unchanged when not wrappable."""
    if not is_wrappable(assets_def):
        return assets_def
    node = assets_def.node_def
    fn = decorated_function(node) if isinstance(node, OpDefinition) else None
    assert isinstance(node, OpDefinition) and fn is not None
    new_op = op_with_function(node, _wrap_fn(fn, around))
    return assets_with_op(assets_def, new_op)


def _wrap_fn(fn: Callable[..., Any], around: Around) -> Callable[..., Any]:
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
            with around():
                return (yield from fn(*args, **kwargs))

        return gen_wrapper
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            with around():
                return await fn(*args, **kwargs)

        return async_wrapper

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with around():
            return fn(*args, **kwargs)

    return wrapper
