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


def parse_path(text: str) -> YamlPath:
    """`transforms[0].path` -> `("transforms", 0, "path")` (the inverse of format_path, for keys without dots
    or brackets, which floe's names are)."""
    parts: list[str | int] = []
    for dotted in text.split("."):
        name, _, rest = dotted.partition("[")
        if name:
            parts.append(name)
        for index in rest.split("[") if rest else []:
            parts.append(int(index.rstrip("]")) if index.rstrip("]").isdigit() else index.rstrip("]"))
    return tuple(parts)
