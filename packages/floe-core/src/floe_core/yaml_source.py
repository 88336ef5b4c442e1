"""Read floe.yaml into plain Python values while remembering where every value came from.

PyYAML's `compose` gives nodes with positions; we build the values ourselves so that we can
  - record the 1-based line of every key/value (`YamlDocument.lines`, keyed by path),
  - reject duplicate keys (PyYAML silently keeps the last one), naming both lines,
  - remember which strings were written as *plain* (unquoted) scalars: interpolation types those
    like YAML would (`threads: ${THREADS:4}` becomes the int 4), quoted ones stay strings.

Scalars follow the YAML 1.2 core schema, not PyYAML's YAML 1.1 default: `yes`/`no`/`on`/`off` stay
strings, and dates (`2024-01-01`) stay strings so pydantic can parse them into whatever the field wants.
Mapping keys are always the key's text, so `1:` and `true:` are the strings "1" and "true".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from floe_core.errors import FloeValidationError, Issue
from floe_core.paths import YamlPath, format_path

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
# indicators: references are swapped for private-use placeholders before parsing and restored in scalars
# and keys. Lines are unchanged (a reference never spans a newline).
_REFERENCE = re.compile(r"\$?\$\{[^}\n]*\}")
_PLACEHOLDER = re.compile("\ue000([0-9]+)\ue001")


def _protect(text: str) -> tuple[str, list[str]]:
    refs: list[str] = []

    def swap(match: re.Match[str]) -> str:
        refs.append(match.group(0))
        return f"\ue000{len(refs) - 1}\ue001"

    return _REFERENCE.sub(swap, text), refs


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


class _Builder:
    """Turns composed nodes into values, collecting lines, plain strings and every problem found."""

    def __init__(self, refs: list[str] | None = None) -> None:
        self.refs = refs or []
        self.lines: dict[YamlPath, int] = {}
        self.plain: set[YamlPath] = set()
        self.issues: list[Issue] = []

    def build(self, node: Node, path: YamlPath) -> YamlValue:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        return self._scalar(node, path)

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
            for key, value in self._mapping(source, path).items():
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


def _syntax_issue(exc: yaml.YAMLError) -> Issue:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    if "\\t" in repr(problem) or "'\\t'" in str(exc):
        message = "tab character found: YAML indentation must use spaces, not tabs"
    else:
        message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    line = mark.line + 1 if mark is not None else None
    column = mark.column + 1 if mark is not None else None
    return Issue("", message, line=line, column=column)


def load_yaml(text: str, source: str | None = None) -> YamlDocument:
    """Parse one YAML document; syntax errors and duplicate keys raise FloeValidationError."""
    protected, refs = _protect(text)
    try:
        node = yaml.compose(protected, Loader=_CoreSchemaLoader)
    except yaml.YAMLError as exc:
        raise FloeValidationError([_syntax_issue(exc)], source) from None
    if node is None:
        return YamlDocument(data=None)
    builder = _Builder(refs)
    data = builder.build(node, ())
    if builder.issues:
        raise FloeValidationError(builder.issues, source)
    return YamlDocument(data=data, lines=builder.lines, plain_strings=frozenset(builder.plain))
