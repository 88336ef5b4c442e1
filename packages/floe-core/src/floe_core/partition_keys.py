"""Dynamic partition keys are data from outside (the UI, `floe partitions add`, a sensor): they reach dbt as
`--vars` and, in a model, SQL. floe lets through only keys of a safe alphabet, checked where keys are added
and again before every dbt invocation (issue 16.9).

The default alphabet — letters, digits and `_ . : @ + -`, 1 to 128 characters, not starting with a
punctuation mark — holds no quote, backslash, whitespace, semicolon or comment marker, so a key cannot leave
a quoted SQL string literal. A floe.yaml entry may narrow or widen it with `key_pattern` (a regular
expression that must match the whole key); widening it is the project's decision, documented in
docs/orchestration.md with the safe way to use a key in SQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from floe_core.errors import FloeError

SAFE_KEY_PATTERN = r"[A-Za-z0-9_][A-Za-z0-9_.:@+\-]{0,127}"
SAFE_KEY_DESCRIPTION = (
    "letters, digits and _ . : @ + -, 1 to 128 characters, starting with a letter, digit or _"
)


def compile_key_pattern(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a regular expression: {exc}") from exc


def unsafe_keys(keys: Iterable[str], pattern: str = SAFE_KEY_PATTERN) -> list[str]:
    """The keys that do not match `pattern` as a whole, in their order."""
    compiled = compile_key_pattern(pattern)
    return [key for key in keys if compiled.fullmatch(key) is None]


def check_partition_keys(name: str, keys: Iterable[str], pattern: str = SAFE_KEY_PATTERN) -> None:
    """FloeError naming every refused key (shown with repr, so control characters are visible)."""
    bad = unsafe_keys(keys, pattern)
    if not bad:
        return
    rule = SAFE_KEY_DESCRIPTION if pattern == SAFE_KEY_PATTERN else f"the pattern {pattern!r}"
    shown = ", ".join(repr(k[:80]) for k in bad[:10]) + (
        f" and {len(bad) - 10} more" if len(bad) > 10 else ""
    )
    raise FloeError(
        f"partitions {name!r}: refused key(s) {shown}: dynamic partition keys reach dbt as --vars and SQL,"
        f" so they must be {rule} (orchestration.partitions.{name}.key_pattern)"
    )
