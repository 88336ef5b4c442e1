"""Translate pydantic's ValidationError into plain-English problems located by floe.yaml path."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from floe_core.model_paths import allowed_keys, union_tags
from floe_core.paths import YamlPath
from floe_core.suggest import did_you_mean
from floe_core.yaml_source import YamlValue

_EXPECTED = {
    "string_type": "expected a string",
    "int_type": "expected an integer",
    "int_parsing": "expected an integer",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "dict_type": "expected a mapping (key: value)",
    "model_type": "expected a mapping (key: value)",
    "model_attributes_type": "expected a mapping (key: value)",
    "list_type": "expected a list",
    "tuple_type": "expected a list",
    "set_type": "expected a list",
    "none_required": "expected no value (null)",
    "date_type": "expected a date (YYYY-MM-DD)",
    "date_parsing": "expected a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "expected a date (YYYY-MM-DD)",
    "datetime_type": "expected a date-time (YYYY-MM-DDTHH:MM:SS)",
    "datetime_parsing": "expected a date-time (YYYY-MM-DDTHH:MM:SS)",
    "datetime_from_date_parsing": "expected a date-time (YYYY-MM-DDTHH:MM:SS)",
}
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")


@dataclass(frozen=True)
class PathIssue:
    """A problem at a floe.yaml path, before line numbers are attached."""

    path: YamlPath
    message: str
    value: object = None
    whole_model: bool = False  # raised by a validator of the whole mapping at `path` (model_validator)


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    return type(value).__name__


_ABSENT = object()


def _child(node: YamlValue, segment: str | int) -> YamlValue | object:
    if isinstance(node, dict) and isinstance(segment, str) and segment in node:
        return node[segment]
    if isinstance(node, list) and isinstance(segment, int) and 0 <= segment < len(node):
        return node[segment]
    return _ABSENT


def yaml_path(loc: Sequence[str | int], data: YamlValue, *, keep_last: bool) -> YamlPath:
    """Drop pydantic's union-tag segments from `loc` by walking the input data alongside it."""
    path: list[str | int] = []
    node: YamlValue = data
    for i, segment in enumerate(loc):
        child = _child(node, segment)
        if child is not _ABSENT:
            node = cast(YamlValue, child)
        elif not (keep_last and i == len(loc) - 1):
            continue  # a union tag such as 'duckdb' or 'function-after[...]': not in floe.yaml
        path.append(segment)
    return tuple(path)


def _noun(root: type[BaseModel], loc: Sequence[str | int], path: YamlPath) -> str:
    """What a union at `path` holds, for messages: `compute.targets.dev` -> 'target'."""
    if path and isinstance(path[-1], str) and path[-1] in allowed_keys(root, loc[:-1]):
        name = path[-1]  # the union is a field, e.g. `credentials`
    else:
        name = next((str(p) for p in reversed(path[:-1]) if isinstance(p, str)), "value")
    return name[:-1] if name.endswith("s") and not name.endswith("ss") else name


def _bad_tag(
    root: type[BaseModel],
    loc: Sequence[str | int],
    path: YamlPath,
    disc: str,
    *,
    tag: object,
    tags: list[str],
) -> PathIssue:
    """Missing or unknown discriminator: `unsupported target type 'oracle'; supported: duckdb, ...`."""
    noun = _noun(root, loc, path)
    if tag is None:
        return PathIssue(
            (*path, disc), f"missing required key '{disc}'; supported {noun} {disc}s: " + ", ".join(tags)
        )
    hint = did_you_mean(str(tag), tags)
    return PathIssue((*path, disc), f"unsupported {noun} {disc} '{tag}'; supported: {', '.join(tags)}{hint}")


def _translate(root: type[BaseModel], err: ErrorDetails, data: YamlValue) -> PathIssue:
    kind, loc, value, ctx = err["type"], err["loc"], err.get("input"), err.get("ctx") or {}
    path = yaml_path(loc, data, keep_last=kind == "missing")
    if kind == "missing":
        return PathIssue(path, f"missing required key '{path[-1]}'" if path else "missing required value")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = allowed_keys(root, loc[:-1])
        hint = did_you_mean(key, allowed) or (f"; expected one of: {', '.join(allowed)}" if allowed else "")
        return PathIssue(path, f"unknown key '{key}'{hint}")
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        disc = str(ctx.get("discriminator", "type")).strip("'")
        tags = _QUOTED.findall(str(ctx.get("expected_tags", ""))) or union_tags(root, loc, disc)
        return _bad_tag(root, loc, path, disc, tag=ctx.get("tag"), tags=tags)
    if kind.startswith("invalid_"):
        # a callable discriminator's custom error (`Discriminator(custom_error_type="invalid_<key>")`)
        disc = kind.removeprefix("invalid_")
        tags = union_tags(root, loc, disc)
        if tags and isinstance(value, dict):
            return _bad_tag(root, loc, path, disc, tag=value.get(disc), tags=tags)
        if tags:
            return PathIssue(path, f"expected a mapping with a '{disc}' key, got {_kind(value)}")
    if kind in ("literal_error", "enum"):
        options = _QUOTED.findall(str(ctx.get("expected", "")))
        if options:
            hint = did_you_mean(str(value), options)
            return PathIssue(path, f"must be one of: {', '.join(options)}{hint}", value)
    if kind in _EXPECTED:
        message = _EXPECTED[kind]
        if isinstance(value, dict | list) or value is None:
            return PathIssue(path, f"{message}, got {_kind(value)}")
        if kind == "string_type" and isinstance(value, int | float):
            message += ' (quote it to keep it text, e.g. "1.0")'
        return PathIssue(path, message, value)
    if kind in ("too_short", "too_long") and "actual_length" in ctx:
        bound = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        count = "at least" if kind == "too_short" else "at most"
        unit = (
            ("entry" if bound == 1 else "entries")
            if isinstance(value, dict)
            else ("item" if bound == 1 else "items")
        )
        return PathIssue(path, f"must have {count} {bound} {unit}, got {ctx['actual_length']}")
    if kind == "string_pattern_mismatch":
        return PathIssue(path, f"must match the pattern {ctx.get('pattern')}", value)
    message = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    message = message[:1].lower() + message[1:]
    if isinstance(value, dict | list):
        return PathIssue(path, message, whole_model=isinstance(value, dict))
    return PathIssue(path, message, value)


def _merge_alternatives(issues: list[PathIssue]) -> list[PathIssue]:
    """Union members fail separately at one path ('expected an integer', 'expected a list'): join them."""
    out: list[PathIssue] = []
    for issue in issues:
        first = next((i for i in out if i.path == issue.path), None)
        if first is None or not (
            first.message.startswith("expected") and issue.message.startswith("expected")
        ):
            out.append(issue)
            continue
        head, _, got = first.message.partition(", got ")
        other = issue.message.partition(", got ")[0].removeprefix("expected ")
        joined = f"{head} or {other}" + (f", got {got}" if got else "")
        out[out.index(first)] = PathIssue(issue.path, joined, first.value)
    return out


def translate(
    root: type[BaseModel], exc: ValidationError, data: YamlValue, skip: frozenset[str] = frozenset()
) -> list[PathIssue]:
    """Every error in `exc` as a PathIssue whose path matches floe.yaml (union tags removed); errors whose
    type is in `skip` are left out (e.g. model-level checks the caller already ran on the raw data)."""
    errors = [err for err in exc.errors() if err["type"] not in skip]
    return _merge_alternatives([_translate(root, err, data) for err in errors])
