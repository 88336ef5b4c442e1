"""Read floe.yaml into plain Python values while remembering where every value came from.

PyYAML's `compose` gives nodes with positions; we build the values ourselves so that we can
  - record the 1-based line of every key/value (`YamlDocument.lines`, keyed by path),
  - reject duplicate keys (PyYAML silently keeps the last one), naming both lines,
  - remember which strings were written as *plain* (unquoted) scalars: interpolation types those
    like YAML would (`threads: ${THREADS:4}` becomes the int 4), quoted ones stay strings.

Scalars follow the YAML 1.2 core schema, not PyYAML's YAML 1.1 default: `yes`/`no`/`on`/`off` stay
strings, and dates (`2024-01-01`) stay strings so pydantic can parse them into whatever the field wants.
Mapping keys are always the key's text, so `1:` and `true:` are the strings "1" and "true".

Input is bounded (floe_core.limits): size and forbidden control characters are checked on the text, depth
and node count on PyYAML's event stream (no recursion, stops at the bound) before anything is composed, and
alias expansion while the values are built. Each breach is one Issue naming the bound.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NoReturn, TypeVar

import yaml
from yaml.events import (
    CollectionEndEvent,
    CollectionStartEvent,
    Event,
    NodeEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import Reader

from floe_core.errors import FloeValidationError, Issue
from floe_core.limits import (
    MAX_ALIAS_VALUES,
    MAX_DOCUMENT_BYTES,
    MAX_NESTING_DEPTH,
    MAX_NODES,
    MAX_REPORTED_CHARACTERS,
)
from floe_core.paths import YamlPath, format_path
from floe_core.reference_syntax import WELL_FORMED, malformed_references

_T = TypeVar("_T")
YamlValue = dict[str, "YamlValue"] | list["YamlValue"] | str | int | float | bool | None

_TAG = "tag:yaml.org,2002:"
_CORE_SCHEMA: list[tuple[str, str, str]] = [
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("null", r"^(?:~|null|Null|NULL|)$", "~nN"),
    ("int", r"^[-+]?[0-9]+$", "-+0123456789"),
    (
        "float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
]


# `${VAR:default}` must also work inside flow mappings (`{path: ${X:a.db}}`), where `{` and `}` are YAML
# indicators: well-formed references are swapped for private-use placeholders before parsing and restored
# in scalars and keys. Lines are unchanged (a reference never spans a newline). Malformed ones stay as
# written (see reference_syntax.WELL_FORMED).
_PLACEHOLDER = re.compile("\ue000([0-9]+)\ue001")


def _protect(text: str) -> tuple[str, list[str]]:
    refs: list[str] = []

    def swap(match: re.Match[str]) -> str:
        refs.append(match.group(0))
        return f"\ue000{len(refs) - 1}\ue001"

    return WELL_FORMED.sub(swap, text), refs


class _CoreSchemaLoader(yaml.SafeLoader):
    """SafeLoader whose implicit typing is the YAML 1.2 core schema (see module docstring)."""

    yaml_implicit_resolvers: dict[str | None, list[tuple[str, re.Pattern[str]]]] = {}


for _name, _pattern, _first in _CORE_SCHEMA:
    _CoreSchemaLoader.add_implicit_resolver(_TAG + _name, re.compile(_pattern), [*_first])
# the empty string resolves to null (`key:` with no value); `<<` is the merge key (`<<: *anchor`)
_CoreSchemaLoader.add_implicit_resolver(_TAG + "null", re.compile(r"^$"), [""])
_CoreSchemaLoader.add_implicit_resolver(_TAG + "merge", re.compile(r"^(?:<<)$"), ["<"])


@dataclass(frozen=True)
class YamlDocument:
    """The document's value, the line of every path in it, and which strings were plain scalars."""

    data: YamlValue
    lines: dict[YamlPath, int] = field(default_factory=dict)
    plain_strings: frozenset[YamlPath] = frozenset()

    def line_of(self, path: YamlPath) -> int | None:
        """Line of `path`, or of its closest ancestor present in the file (e.g. for a missing key)."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None


def resolve_plain_scalar(text: str) -> YamlValue:
    """Type `text` the way a plain (unquoted) YAML scalar would be: bool, int, float, null or str."""
    for name, pattern, _first in _CORE_SCHEMA:
        if re.match(pattern, text):
            return _construct(_TAG + name, text)
    return text


def _construct(tag: str, text: str) -> YamlValue:
    kind = tag.removeprefix(_TAG)
    if kind == "null":
        return None
    if kind == "bool":
        return text.lower() == "true"
    if kind == "int":
        return int(text)
    if kind == "float":
        lowered = text.lower()
        if lowered.endswith(".inf"):
            return float("-inf") if lowered.startswith("-") else float("inf")
        return float("nan") if lowered == ".nan" else float(text)
    return text


class _LimitExceeded(Exception):
    """A bound of floe_core.limits was crossed while building values: stop at once, report `issue`."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.message)
        self.issue = issue


class _Builder:
    """Turns composed nodes into values, collecting lines, plain strings and every problem found.

    Composed nodes form a graph, not a tree: an alias is the very node its anchor names. Building walks it
    as a tree, so an alias is expanded again at every use. That is what YAML means, but it is exponential
    for nested aliases ("billion laughs") and endless for an alias inside its own anchor: expansions are
    counted (MAX_ALIAS_VALUES), nesting is bounded (MAX_NESTING_DEPTH) and self-reference is refused.
    """

    def __init__(self, refs: list[str] | None = None) -> None:
        self.refs = refs or []
        self.lines: dict[YamlPath, int] = {}
        self.plain: set[YamlPath] = set()
        self.issues: list[Issue] = []
        self._built: set[int] = set()  # ids of nodes built at least once: building one again expands an alias
        self._open: set[int] = set()  # ids of the mappings and lists being built (the current nesting)
        self._expanding = 0  # > 0 while inside an alias expansion
        self._alias_values = 0

    def build(self, node: Node, path: YamlPath) -> YamlValue:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, MappingNode):
            return self._visit(node, path, lambda: self._mapping(node, path))
        if isinstance(node, SequenceNode):
            return self._visit(
                node, path, lambda: [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            )
        assert isinstance(node, ScalarNode)
        return self._visit(node, path, lambda: self._scalar(node, path))

    def _visit(self, node: Node, path: YamlPath, make: Callable[[], _T]) -> _T:
        key = id(node)
        if key in self._open:
            self._stop(
                node,
                path,
                "an alias refers to a mapping or list that contains it (a recursive structure);"
                " an alias may only refer to a value defined outside of it",
            )
        again = key in self._built
        self._built.add(key)
        if again or self._expanding:
            self._alias_values += 1
            if self._alias_values > MAX_ALIAS_VALUES:
                self._stop(
                    node,
                    path,
                    f"aliases expand to more than {MAX_ALIAS_VALUES:,} values (floe_core.limits."
                    "MAX_ALIAS_VALUES): nested aliases grow exponentially; use anchors and aliases only for"
                    " small shared blocks",
                )
        collection = not isinstance(node, ScalarNode)
        if collection:
            self._open.add(key)
            if len(self._open) > MAX_NESTING_DEPTH:
                self._stop(node, path, _depth_message())
        self._expanding += again
        try:
            return make()
        finally:
            self._expanding -= again
            if collection:
                self._open.discard(key)

    def _stop(self, node: Node, path: YamlPath, message: str) -> NoReturn:
        mark = node.start_mark
        raise _LimitExceeded(Issue(format_path(path), message, line=mark.line + 1, column=mark.column + 1))

    def _restore(self, text: str) -> str:
        return _PLACEHOLDER.sub(lambda m: self.refs[int(m.group(1))], text) if self.refs else text

    def _scalar(self, node: ScalarNode, path: YamlPath) -> YamlValue:
        text = self._restore(str(node.value))
        if node.tag.startswith("!") or node.tag.removeprefix(_TAG) not in {
            "str",
            "bool",
            "null",
            "int",
            "float",
        }:
            self._issue(node, path, f"unsupported YAML tag {node.tag}; use a plain value", text)
            return text
        try:
            value = _construct(node.tag, text)
        except ValueError:
            self._issue(node, path, f"{text!r} is not a valid {node.tag.removeprefix(_TAG)}", text)
            return text
        if isinstance(value, str) and node.style is None:
            self.plain.add(path)
        return value

    def _mapping(self, node: MappingNode, path: YamlPath) -> dict[str, YamlValue]:
        result: dict[str, YamlValue] = {}
        seen: dict[str, int] = {}
        merged: list[MappingNode] = []
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self._issue(key_node, path, "mapping keys must be plain text, not a list or mapping", None)
                continue
            key = self._restore(str(key_node.value))
            line = key_node.start_mark.line + 1
            if key == "<<" and key_node.tag == _TAG + "merge":
                merged.extend(self._merge_sources(value_node, path))
                continue
            if key in seen:
                where = format_path((*path, key))
                self._issue(
                    key_node, (*path, key), f"duplicate key '{where}' (first defined on line {seen[key]})"
                )
                continue
            seen[key] = line
            self.lines[(*path, key)] = line
            result[key] = self.build(value_node, (*path, key))
        # `<<: *anchor` merge keys: explicitly written keys win over merged ones, as YAML specifies
        for source in merged:
            for key, value in self._visit(
                source, path, functools.partial(self._mapping, source, path)
            ).items():
                result.setdefault(key, value)
        return result

    def _merge_sources(self, node: Node, path: YamlPath) -> list[MappingNode]:
        if isinstance(node, MappingNode):
            return [node]
        if isinstance(node, SequenceNode) and all(isinstance(n, MappingNode) for n in node.value):
            return [n for n in node.value if isinstance(n, MappingNode)]
        self._issue(node, path, "'<<' (merge key) must refer to a mapping or a list of mappings")
        return []

    def _issue(self, node: Node, path: YamlPath, message: str, value: object = None) -> None:
        mark = node.start_mark
        self.issues.append(
            Issue(format_path(path), message, value=value, line=mark.line + 1, column=mark.column + 1)
        )


def _depth_message() -> str:
    return (
        f"mappings and lists nested deeper than {MAX_NESTING_DEPTH} levels (floe_core.limits."
        "MAX_NESTING_DEPTH); floe.yaml needs fewer than 10"
    )


def too_large_message(size: int | None) -> str:
    """What to say about a floe.yaml of `size` bytes (None: unknown, but more than MAX_DOCUMENT_BYTES)."""
    has = f"{size:,} bytes" if size is not None else f"more than {MAX_DOCUMENT_BYTES:,} bytes"
    return (
        f"the file has {has}; floe reads at most {MAX_DOCUMENT_BYTES:,}"
        f" ({MAX_DOCUMENT_BYTES // 2**20} MiB, floe_core.limits.MAX_DOCUMENT_BYTES); a floe.yaml is normally"
        " a few kilobytes"
    )


def _utf8_size(text: str) -> int:
    # every character is 1 to 4 bytes: encode only when the bound lies in between
    if len(text) > MAX_DOCUMENT_BYTES or len(text) * 4 <= MAX_DOCUMENT_BYTES:
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


_CONTROL_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "BS", 0x0B: "VT", 0x0C: "FF", 0x1B: "ESC", 0x7F: "DEL"}


def _where(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of character `index` of `text`."""
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


def _forbidden_characters(text: str) -> list[Issue]:
    """Characters YAML does not allow (NUL and other controls), each with its line and column."""
    issues: list[Issue] = []
    for match in Reader.NON_PRINTABLE.finditer(text):
        if len(issues) == MAX_REPORTED_CHARACTERS:
            more = Reader.NON_PRINTABLE.subn("", text, count=0)[1] - MAX_REPORTED_CHARACTERS
            issues.append(Issue("", f"and {more:,} more characters YAML does not allow"))
            break
        code = ord(match.group(0))
        name = _CONTROL_NAMES.get(code)
        shown = f"U+{code:04X}" + (f" ({name})" if name else "")
        line, column = _where(text, match.start())
        issues.append(
            Issue(
                "",
                f"character {shown} is not allowed in YAML; remove it (only tabs, line breaks and"
                " printable characters may appear)",
                line=line,
                column=column,
            )
        )
    return issues


def _count_structure(events: Iterable[Event]) -> Issue | None:
    """The first bound crossed by the document's events (nesting, node count), or None."""
    depth = nodes = 0
    for event in events:
        if not isinstance(event, NodeEvent):
            if isinstance(event, CollectionEndEvent):
                depth -= 1
            continue
        nodes += 1
        mark = event.start_mark
        where = {"line": mark.line + 1, "column": mark.column + 1} if mark is not None else {}
        if nodes > MAX_NODES:
            return Issue(
                "",
                f"more than {MAX_NODES:,} values (floe_core.limits.MAX_NODES); floe.yaml needs far fewer",
                **where,
            )
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_NESTING_DEPTH:
                return Issue("", _depth_message(), **where)
    return None


def _check_structure(text: str) -> Issue | None:
    """Nesting and node count, from the event stream: the parser keeps its own stack (no recursion) and
    the count stops at the bound, so this is bounded before PyYAML's recursive composer runs. libyaml's
    parser is used when installed (fast); on a syntax error the pure-Python one decides, like compose."""
    if yaml.__with_libyaml__:
        try:
            return _count_structure(yaml.parse(text, Loader=yaml.CSafeLoader))
        except yaml.YAMLError:
            pass
    try:
        return _count_structure(yaml.parse(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError:
        return None  # compose reports the syntax error


def _syntax_issue(exc: yaml.YAMLError, text: str) -> Issue:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    if "\\t" in repr(problem) or "'\\t'" in str(exc):
        message = "tab character found: YAML indentation must use spaces, not tabs"
    else:
        message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    if mark is not None:
        return Issue("", message, line=mark.line + 1, column=mark.column + 1)
    position = getattr(exc, "position", None)  # a ReaderError knows only the character's position
    if isinstance(position, int):
        line, column = _where(text, position)
        return Issue("", message, line=line, column=column)
    return Issue("", message)


def _by_line(issues: list[Issue]) -> list[Issue]:
    return sorted(issues, key=lambda i: (i.line is None, i.line or 0, i.column or 0))


def load_yaml(text: str, source: str | None = None) -> YamlDocument:
    """Parse one YAML document; syntax errors, duplicate keys and crossed bounds raise FloeValidationError."""
    size = _utf8_size(text)
    if size > MAX_DOCUMENT_BYTES:
        raise FloeValidationError([Issue("", too_large_message(size))], source)
    forbidden = _forbidden_characters(text)
    if forbidden:
        raise FloeValidationError(forbidden, source)
    protected, refs = _protect(text)
    exceeded = _check_structure(protected)
    if exceeded is not None:
        raise FloeValidationError([exceeded], source)
    try:
        node = yaml.compose(protected, Loader=_CoreSchemaLoader)
    except yaml.YAMLError as exc:
        raise FloeValidationError(_syntax_issues(exc, text, protected), source) from None
    if node is None:
        return YamlDocument(data=None)
    builder = _Builder(refs)
    try:
        data = builder.build(node, ())
    except _LimitExceeded as stop:
        raise FloeValidationError([stop.issue], source) from None
    if builder.issues:
        raise FloeValidationError(builder.issues, source)
    return YamlDocument(data=data, lines=builder.lines, plain_strings=frozenset(builder.plain))


def _syntax_issues(exc: yaml.YAMLError, text: str, protected: str) -> list[Issue]:
    """The syntax error, plus every malformed `${...}`: YAML reads one as structure (`{`, `}`, quotes),
    so it is the likely cause, and saying "unexpected end of stream" alone would not tell."""
    issue = _syntax_issue(exc, protected)
    malformed = [Issue("", m.message, line=m.line, column=m.column) for m in malformed_references(text)]
    if malformed:
        lines = ", ".join(str(m.line) for m in malformed)
        issue = Issue(
            issue.path,
            f"{issue.message}; fix the malformed ${{...}} reference on line {lines} first",
            line=issue.line,
            column=issue.column,
        )
    return _by_line([*malformed, issue])
