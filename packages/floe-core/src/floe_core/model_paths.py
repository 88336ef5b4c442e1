"""Walk a pydantic model's *types* along an error location, to know which keys or tags were allowed there.

Pydantic's error locations include union tags (`duckdb`, `function-after[check(), X]`); this walker uses them
to pick the union member, so `("compute", "targets", "dev", "duckdb", "properties")` reaches the DuckDB
properties model and we can suggest its field names for a misspelled key.
"""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence
from typing import Annotated, Literal, Union, get_args, get_origin

from pydantic import BaseModel, Tag

_SEQUENCES = (list, tuple, set, frozenset, Sequence)
_MAPPINGS = (dict, Mapping)


def _unwrap(tp: object) -> object:
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    return tp


def _union_members(tp: object) -> list[object] | None:
    if get_origin(tp) in (Union, types.UnionType):
        return [a for a in get_args(tp) if a is not type(None)]
    return None


def _model(tp: object) -> type[BaseModel] | None:
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def literal_values(model: type[BaseModel], field_name: str) -> list[str]:
    """String values of a `Literal[...]` field (a discriminator), else []."""
    info = model.model_fields.get(field_name)
    if info is None:
        return []
    annotation = _unwrap(info.annotation)
    if get_origin(annotation) is not Literal:
        return []
    return [str(v) for v in get_args(annotation)]


def _is_tag(member: object, segment: str | int) -> bool:
    if not isinstance(segment, str):
        return False
    if get_origin(member) is Annotated and any(
        isinstance(m, Tag) and m.tag == segment for m in get_args(member)[1:]
    ):
        return True
    model = _model(member)
    if model is None:
        return False
    if segment == model.__name__ or segment.endswith(f"{model.__name__}]"):
        return True
    return any(segment in literal_values(model, name) for name in model.model_fields)


def _step(tp: object, segment: str | int) -> object | None:
    tp = _unwrap(tp)
    members = _union_members(tp)
    if members is not None:
        for member in members:
            if _is_tag(member, segment):
                return member
        # no tag in the location (e.g. `X | None`): the segment belongs to a member
        for member in members:
            found = _step(member, segment)
            if found is not None:
                return found
        return None
    model = _model(tp)
    if model is not None:
        for name, info in model.model_fields.items():
            if segment in (name, info.alias):
                return info.annotation
        # a one-member discriminated "union" still adds its tag to the location
        return model if _is_tag(model, segment) else None
    origin, args = get_origin(tp), get_args(tp)
    if origin in _SEQUENCES and isinstance(segment, int) and args:
        item: object = args[0]
        return item
    if origin in _MAPPINGS and len(args) == 2:
        value: object = args[1]
        return value
    return None


def type_at(root: type[BaseModel], loc: Sequence[str | int]) -> object | None:
    """The annotation found by following pydantic location `loc` from `root`, or None if lost."""
    tp: object | None = root
    for segment in loc:
        tp = _step(tp, segment) if tp is not None else None
    return tp


def allowed_keys(root: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """Keys the model at `loc` accepts (aliases where set); [] when the location is not a model."""
    model = _model(type_at(root, loc))
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def union_tags(root: type[BaseModel], loc: Sequence[str | int], discriminator: str) -> list[str]:
    """The supported values of `discriminator` for the union at `loc` (e.g. every target `type`)."""
    tp = _unwrap(type_at(root, loc))
    tags: list[str] = []
    for member in _union_members(tp) or []:
        model = _model(member)
        if model is not None:
            tags.extend(literal_values(model, discriminator))
    return tags
