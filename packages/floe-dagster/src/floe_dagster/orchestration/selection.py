"""floe.yaml's selections — a key glob (`raw_*`, `silver/*`, on the key written with '/') or a Dagster
selection string (`group:silver`, `tag:layer=gold`, `key:stg_orders+`, `group:a and not kind:python`) —
resolved against the planning graph (see plan)."""

from __future__ import annotations

import fnmatch
import re
import weakref
from dataclasses import dataclass

from dagster import AssetKey, AssetSelection
from floe_core.spec.orchestration.assets import is_selection_string
from floe_core.suggest import closest

from floe_dagster.compat import AssetGraph


def match_pattern(pattern: str, graph: AssetGraph) -> set[AssetKey]:
    """Keys matched by a glob or a Dagster selection string; ValueError (Dagster's reason) if unparsable."""
    keys = graph.get_all_asset_keys()
    if not is_selection_string(pattern):
        return {k for k in keys if fnmatch.fnmatchcase(k.to_user_string(), pattern)}
    try:
        selection = AssetSelection.from_string(pattern)
        return set(selection.resolve(graph, allow_missing=True))
    except Exception as exc:  # Dagster raises several types for bad syntax/unknown attributes
        raise ValueError(f"invalid asset selection {pattern!r}: {exc}{_operator_hint(pattern)}") from exc


# Operators users bring from other tools (dbt's `,`/`+`, shells', SQL's); Dagster spells them as words.
_WORD_FOR = {"||": "or", "&&": "and", "|": "or", "&": "and", "!": "not"}


def _operator_hint(pattern: str) -> str:
    """'; write …' naming Dagster's word for each symbol operator in `pattern`, else ''."""
    rest, found = pattern, []
    for symbol, word in _WORD_FOR.items():
        if symbol in rest:
            found.append(f"{word!r} for {symbol!r}")
            rest = rest.replace(symbol, " ")
    if not found:
        return ""
    return f"; Dagster's selection syntax writes operators as words: {', '.join(found)}"


# `key:`, `group:` and `tag:` terms of a selection string: names that must exist in the graph. A term that
# names nothing is a typo even inside `or` / `not` (`group:a or group:typo` silently selects only `a`).
_NAMED_TERM = re.compile(r'\b(key|group|tag):("[^"]*"|[^\s()+]+)')


@dataclass(frozen=True)
class GraphNames:
    """What a graph's terms can name: built once per graph (the plan checks every job and rule)."""

    keys: frozenset[str]
    groups: frozenset[str]
    tags: frozenset[str]  # "k" and "k=v"


_NAMES: weakref.WeakKeyDictionary[AssetGraph, GraphNames] = weakref.WeakKeyDictionary()


def graph_names(graph: AssetGraph) -> GraphNames:
    """The keys, groups and tags of `graph` (built once per graph)."""
    names = _NAMES.get(graph)
    if names is None:
        nodes = [graph.get(k) for k in graph.get_all_asset_keys()]
        tags = {f for n in nodes for t, v in (n.tags or {}).items() for f in (t, f"{t}={v}" if v else t)}
        names = GraphNames(
            keys=frozenset(n.key.to_user_string() for n in nodes),
            groups=frozenset(n.group_name for n in nodes if n.group_name),
            tags=frozenset(tags),
        )
        _NAMES[graph] = names
    return names


def unmatched_terms(pattern: str, graph: AssetGraph) -> list[str]:
    """'`term` matches no asset; did you mean …?' for each key/group/tag term of a selection string that
    names nothing in `graph` (empty for a key glob: the caller checks the whole pattern)."""
    if not is_selection_string(pattern):
        return []
    terms = _NAMED_TERM.findall(pattern)
    if not terms:
        return []
    names = graph_names(graph)
    problems = []
    for kind, raw in terms:
        value = raw.strip('"')
        choices = {"key": names.keys, "group": names.groups, "tag": names.tags}[kind]
        if kind == "key" and "*" in value:
            found = any(fnmatch.fnmatchcase(name, value) for name in choices)
        else:
            found = value in choices
        if found:
            continue
        near = closest(value, choices)
        hint = f"; did you mean '{kind}:{near}'?" if near is not None else _known(kind, choices)
        problems.append(f"'{kind}:{raw}' matches no asset{hint}")
    return problems


def _known(kind: str, choices: frozenset[str], shown: int = 5) -> str:
    """'; known keys: a, b, c, …' — a hint even when no name is close to the typo."""
    if not choices:
        return f"; no asset has a {kind}"
    names = sorted(choices)
    more = ", …" if len(names) > shown else ""
    return f"; known {kind}s: {', '.join(names[:shown])}{more}"
