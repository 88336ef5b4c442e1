"""Dagster's and dagster-dbt's private names are imported in two modules only: floe_dagster.compat (floe's
code; packages/floe-dagster/tests/test_compat.py exercises each) and tests/support/dagster_internals.py
(tests). floe's packages also reach dagster-dbt only through its top-level module outside compat (dagster-dbt
has renamed a submodule's key before). An upgrade that moves one of the tests' names fails here, naming it,
instead of in whichever test happens to import it first."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {
    ROOT / "packages/floe-dagster/src/floe_dagster/compat.py",
    ROOT / "tests/support/dagster_internals.py",
    # measures Dagster's own cost of building the bench's jobs (docs/benchmarks.md §2), with its internals
    ROOT / "bench/jobs_floor.py",
}
SCANNED = ["packages", "tests", "demo", "bench"]


def _private_imports(path: Path) -> list[str]:
    library = path.is_relative_to(ROOT / "packages") and "src" in path.relative_to(ROOT).parts
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
        names += [a.name for a in node.names] if isinstance(node, ast.Import) else []
        for name in names:
            top, _, rest = name.partition(".")
            private = rest.startswith("_") or "._" in name
            dbt_submodule = library and top == "dagster_dbt" and rest != ""
            if (top in {"dagster", "dagster_dbt"} and (private or dbt_submodule)) or top == "dagster_shared":
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}")
    return found


def test_only_the_two_compat_modules_import_private_dagster_names() -> None:
    files = [p for folder in SCANNED for p in (ROOT / folder).rglob("*.py") if ".venv" not in p.parts]
    assert len(files) > 100  # the scan sees the project
    offenders = [hit for path in files if path not in ALLOWED for hit in _private_imports(path)]
    assert offenders == []


def test_every_private_name_the_tests_use_still_exists() -> None:
    importlib.import_module("dagster_internals")  # an ImportError names the name an upgrade moved
