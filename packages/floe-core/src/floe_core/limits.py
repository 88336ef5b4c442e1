"""Bounds on floe.yaml input, in one place (documented in docs/floe-yaml.md, "Limits").

A floe.yaml is a few kilobytes; these bounds are far above any real one and exist so that a hostile or
broken file (a "billion laughs" alias bomb, a 50 MB file, 5000 levels of nesting) is refused in well under a
second with a message naming the bound, instead of running for minutes or exhausting memory or the stack.
"""

from __future__ import annotations

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
"""Largest floe.yaml read, in bytes (UTF-8); a larger file is refused before it is parsed."""

MAX_NESTING_DEPTH = 100
"""Deepest nesting of mappings and lists (the top-level mapping is level 1)."""

MAX_NODES = 100_000
"""Most YAML nodes (scalars, mappings, lists, aliases) written in the file."""

MAX_ALIAS_VALUES = 10_000
"""Most values produced by expanding aliases (`*name`) and merge keys (`<<: *name`), all together."""

MAX_REPORTED_CHARACTERS = 10
"""Forbidden control characters listed one by one before the rest are only counted."""
