"""User-facing errors. The CLI prints these without a traceback."""

from __future__ import annotations

from dataclasses import dataclass


class FloeError(Exception):
    """An error caused by user input or environment, reported without a traceback."""


@dataclass(frozen=True)
class Issue:
    """One validation problem, located in floe.yaml."""

    path: str  # dotted floe.yaml path, e.g. "compute.targets.dev.properties.threads"
    message: str  # what was expected
    value: object = None  # the offending value (never a secret: secrets are env var *names* in floe.yaml)
    line: int | None = None  # 1-based line in floe.yaml

    def render(self, source: str | None = None) -> str:
        where = f"{source}:{self.line}" if source and self.line else (f"line {self.line}" if self.line else "")
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
        head = f"{self.source or 'floe.yaml'} is invalid ({len(self.issues)} problem(s)):"
        return "\n".join([head, *("  - " + i.render(self.source) for i in self.issues)])
