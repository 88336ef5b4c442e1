"""User-facing errors. The CLI prints these without a traceback."""

from __future__ import annotations

from dataclasses import dataclass


class FloeError(Exception):
    """An error caused by user input or environment, reported without a traceback."""


@dataclass(frozen=True)
class Issue:
    """One validation problem, located in floe.yaml."""

    path: str  # dotted floe.yaml path, list items as [i]: "compute.targets.dev.properties.threads"
    message: str  # what is wrong and what was expected
    value: object = None  # the offending value (never a secret: see floe_core.loader's masking)
    line: int | None = None  # 1-based line in floe.yaml
    column: int | None = None  # 1-based column, known for YAML syntax problems

    def render(self, source: str | None = None) -> str:
        """`file:line: path: message (got value)`, the shape editors and terminals make clickable."""
        where = source or ""
        if self.line:
            where = f"{where}:{self.line}" if where else f"line {self.line}"
            if self.column:
                where += f":{self.column}"
        prefix = f"{where}: " if where else ""
        shown = "" if self.value is None else f" (got {self.value!r})"
        return f"{prefix}{self.path or '<root>'}: {self.message}{shown}"


class FloeValidationError(FloeError):
    """floe.yaml (or a reference inside it) is invalid; carries every problem found."""

    def __init__(self, issues: list[Issue], source: str | None = None) -> None:
        self.issues = issues
        self.source = source
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.issues)
        head = f"{self.source or 'floe.yaml'} is invalid ({count} problem{'s' if count != 1 else ''}):"
        return "\n".join([head, *(i.render(self.source) for i in self.issues)])
