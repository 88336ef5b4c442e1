"""Paths into floe.yaml: tuples of keys and list indexes, shown as `transforms[0].path`."""

from __future__ import annotations

YamlPath = tuple[str | int, ...]


def format_path(path: YamlPath) -> str:
    """`("compute", "targets", "dev")` -> `compute.targets.dev`; list indexes as `[0]`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out
