"""THE template renderer of workflow specs (contract §3.3): one sandboxed Jinja2 environment for every adapter.

- `jinja2.sandbox.ImmutableSandboxedEnvironment`: no attribute access to Python internals (`__class__`,
  `mro`, `func_globals` ...), no mutation of values; `StrictUndefined`: an unknown variable is an error.
- No globals (`range`, `cycler`, `joiner`, `lipsum`, `namespace`, `dict` are gone) and a deterministic
  allow-list of filters (no `random`); no include/import/extends/macros, no nested loops; `*`, `**`, `join`,
  `replace` and integer call arguments are bounded, and a rendered value is at most MAX_RENDERED characters.
  A template that breaks a rule raises TemplateError (a FloeError), it never executes.
- `analyze` finds, without rendering, the variables and `params.<key>` a template uses, so validation
  reports unknown ones with their file and line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.exceptions import TemplateError as JinjaTemplateError
from jinja2.filters import FILTERS
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from floe_core.errors import FloeError

MAX_RENDERED = 100_000  # characters of one rendered value (an argv item, an env value, a param)
MAX_INTEGER_ARGUMENT = 100_000
# variables of every run; the window ones only exist for runs of a cron/interval window
DATE_VARIABLES = ("execution_date", "ds", "ts", "ds_nodash", "ts_nodash")
WINDOW_VARIABLES = ("prev_execution_date", "next_execution_date", "data_interval_start", "data_interval_end")
EVENT_VARIABLES = ("trigger_file",)
PARAMS = "params"
ALL_VARIABLES = (*DATE_VARIABLES, *WINDOW_VARIABLES, *EVENT_VARIABLES, PARAMS)
_MARKERS = ("{{", "{%", "{#")
_FILTERS = [
    "abs",
    "capitalize",
    "count",
    "d",
    "default",
    "dictsort",
    "first",
    "float",
    "int",
    "items",
    "join",
    "last",
    "length",
    "list",
    "lower",
    "map",
    "max",
    "min",
    "reject",
    "replace",
    "reverse",
    "round",
    "select",
    "sort",
    "string",
    "sum",
    "title",
    "trim",
    "truncate",
    "unique",
    "upper",
    "urlencode",
    "wordcount",
]
_FORBIDDEN_NODES: tuple[tuple[type[nodes.Node], str], ...] = (
    (nodes.Include, "include"),
    (nodes.Import, "import"),
    (nodes.FromImport, "import"),
    (nodes.Extends, "extends"),
    (nodes.Macro, "macro"),
    (nodes.CallBlock, "call"),
)


class TemplateError(FloeError):
    """A template that cannot be used: syntax, an unknown variable, a forbidden construct, a render failure."""


class TemplateDateTime(datetime):
    """A datetime that renders as ISO 8601 (`{{ execution_date }}` -> 2024-01-02T02:00:00+00:00)."""

    def __str__(self) -> str:
        return self.isoformat()

    @classmethod
    def of(cls, value: datetime) -> TemplateDateTime:
        return cls(
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond,
            tzinfo=value.tzinfo,
            fold=value.fold,
        )


def _size(value: object) -> int:
    return len(value) if isinstance(value, str | list | tuple | dict) else 0


def _bounded_join(value: Iterable[Any], d: str = "", attribute: str | int | None = None) -> str:
    items = [str(v) for v in value]
    if sum(map(len, items)) + len(d) * max(len(items) - 1, 0) > MAX_RENDERED:
        raise SecurityError(f"join would produce more than {MAX_RENDERED} characters")
    return d.join(items)


def _bounded_replace(s: object, old: str, new: str, count: int | None = None) -> str:
    text = str(s)
    hits = text.count(old) if count is None else min(text.count(old), count)
    if len(text) + hits * (len(new) - len(old)) > MAX_RENDERED:
        raise SecurityError(f"replace would produce more than {MAX_RENDERED} characters")
    return text.replace(old, new) if count is None else text.replace(old, new, count)


class _Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > 1000:
            raise SecurityError(f"exponent {right} is too large")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if _size(seq) and isinstance(times, int) and _size(seq) * times > MAX_RENDERED:
                    raise SecurityError(f"repetition would produce more than {MAX_RENDERED} items")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        for value in (*args, *kwargs.values()):
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INTEGER_ARGUMENT:
                raise SecurityError(f"integer argument {value} is too large")
        result = super().call(__context, __obj, *args, **kwargs)
        if _size(result) > MAX_RENDERED:
            raise SecurityError(f"a call produced more than {MAX_RENDERED} items")
        return result


def _finalize(value: object) -> object:
    # booleans print as YAML writes them, the same text a boolean param gets in the environment
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _environment() -> _Sandbox:
    env = _Sandbox(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True, finalize=_finalize
    )
    env.globals.clear()
    env.filters = {name: FILTERS[name] for name in _FILTERS}
    env.filters["join"] = _bounded_join
    env.filters["replace"] = _bounded_replace
    return env


ENVIRONMENT = _environment()


@dataclass(frozen=True)
class TemplateUsage:
    """What a template refers to, found statically."""

    variables: frozenset[str] = frozenset()  # top-level names, e.g. {'ds', 'params'}
    params: frozenset[str] = frozenset()  # keys read as params.<key> or params['key']
    guarded: frozenset[str] = frozenset()  # names tested with `is defined` / `is undefined`


NO_USAGE = TemplateUsage()


def is_template(text: str) -> bool:
    return any(marker in text for marker in _MARKERS)


def _unsafe(tree: nodes.Template) -> str | None:
    for kind, word in _FORBIDDEN_NODES:
        if next(iter(tree.find_all(kind)), None) is not None:
            return f"'{{% {word} %}}' is not supported in workflow templates"
    for loop in tree.find_all(nodes.For):
        if next(iter(loop.find_all(nodes.For)), None) is not None:
            return "nested loops are not supported in workflow templates"
    for attribute in tree.find_all(nodes.Getattr):
        if attribute.attr.startswith("_"):
            return f"attribute {attribute.attr!r} is not allowed: templates cannot reach Python internals"
    for const in tree.find_all(nodes.Const):
        if isinstance(const.value, str) and const.value.startswith("__"):
            return f"{const.value!r} is not allowed: templates cannot reach Python internals"
    return None


def _is_params(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Name) and node.name == PARAMS


def _params_keys(tree: nodes.Template) -> set[str]:
    keys = {node.attr for node in tree.find_all(nodes.Getattr) if _is_params(node.node)}
    for item in tree.find_all(nodes.Getitem):
        if _is_params(item.node) and isinstance(item.arg, nodes.Const) and isinstance(item.arg.value, str):
            keys.add(item.arg.value)
    return keys


def _guarded(tree: nodes.Template) -> set[str]:
    return {
        test.node.name
        for test in tree.find_all(nodes.Test)
        if test.name in ("defined", "undefined") and isinstance(test.node, nodes.Name)
    }


@lru_cache(maxsize=4096)
def _compiled(source: str) -> tuple[Any, TemplateUsage]:
    try:
        tree = ENVIRONMENT.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"template syntax error: {exc.message}") from None
    problem = _unsafe(tree)
    if problem is not None:
        raise TemplateError(problem)
    try:
        template = ENVIRONMENT.from_string(tree)
    except JinjaTemplateError as exc:  # e.g. "No filter named 'random'"
        raise TemplateError(f"template error: {exc.message or exc}") from None
    usage = TemplateUsage(
        variables=frozenset(meta.find_undeclared_variables(tree)),
        params=frozenset(_params_keys(tree)),
        guarded=frozenset(_guarded(tree)),
    )
    return template, usage


def analyze(source: str) -> TemplateUsage:
    """The variables and params `source` uses; TemplateError for syntax errors and forbidden constructs."""
    if not is_template(source):
        return NO_USAGE
    return _compiled(source)[1]


def render(source: str, context: Mapping[str, object]) -> str:
    """Render one value. Text without `{{`, `{%` or `{#` is returned unchanged (as Jinja would)."""
    if not is_template(source):
        return source
    template, _usage = _compiled(source)
    out: list[str] = []
    size = 0
    try:
        for chunk in template.generate(dict(context)):
            size += len(chunk)
            if size > MAX_RENDERED:
                raise TemplateError(f"the rendered value is longer than {MAX_RENDERED} characters")
            out.append(chunk)
    except TemplateError:
        raise
    except UndefinedError as exc:
        raise TemplateError(str(exc.message)) from None
    except SecurityError as exc:
        raise TemplateError(f"not allowed in workflow templates: {exc}") from None
    except Exception as exc:  # a filter or method failing on its input (int('x'), a huge int ...)
        raise TemplateError(f"rendering failed: {type(exc).__name__}: {exc}") from None
    return "".join(out)


def missing(name: str, why: str) -> StrictUndefined:
    """A context value that is absent for this run: using it fails with `why`; `is defined` is false."""
    return StrictUndefined(hint=f"{name} is not defined here: {why}", name=name)
