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

from dagster import AssetsDefinition, In, OpDefinition, Out
from dagster._core.definitions.decorators.op_decorator import DecoratedOpFunction

Around = Callable[[], AbstractContextManager[None]]


def is_wrappable(assets_def: AssetsDefinition) -> bool:
    if not assets_def.is_executable or not assets_def.keys:
        return False
    try:
        node = assets_def.node_def
    except Exception:  # external / spec-only assets have no computation
        return False
    return (
        isinstance(node, OpDefinition)
        and isinstance(node.compute_fn, DecoratedOpFunction)
        and not inspect.isasyncgenfunction(node.compute_fn.decorated_fn)
    )


def wrap_compute(assets_def: AssetsDefinition, around: Around) -> AssetsDefinition:
    """A copy of `assets_def` whose computation runs inside `around()`; unchanged when not wrappable."""
    if not is_wrappable(assets_def):
        return assets_def
    node = assets_def.node_def
    assert isinstance(node, OpDefinition) and isinstance(node.compute_fn, DecoratedOpFunction)
    wrapped = _wrap_fn(node.compute_fn.decorated_fn, around)
    new_op = OpDefinition.dagster_internal_init(
        compute_fn=DecoratedOpFunction(decorated_fn=wrapped),
        name=node.name,
        ins={d.name: In.from_definition(d) for d in node.input_defs},
        outs={d.name: Out.from_definition(d) for d in node.output_defs},
        description=node.description,
        config_schema=node.config_schema,
        required_resource_keys=node.required_resource_keys,
        tags=node.tags,
        version=None,
        retry_policy=node.retry_policy,
        code_version=getattr(node, "_version", None),
        pool=node.pool,
    )
    attributes = {**assets_def.get_attributes_dict(), "node_def": new_op}
    return AssetsDefinition.dagster_internal_init(**attributes)


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
