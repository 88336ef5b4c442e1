"""The imports of floe's source follow the arrows in docs/architecture.md, and every arrow there is used.

A module belongs to the longest part (package or sub-package listed as an arrow's source or target) its
name starts with; an import from part A of part B (A != B) must be an arrow `A -> B`. Cross-package imports are checked at the package level (floe_dagster.* -> floe_dbt)."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
PACKAGES = {
    p.name.replace("-", "_"): p / "src" / p.name.replace("-", "_") for p in (ROOT / "packages").iterdir()
}


def _arrows() -> dict[str, set[str]]:
    block = re.search(r"```arrows\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert block, f"{DOC} has no ```arrows block"
    arrows: dict[str, set[str]] = {}
    for line in block[1].strip().splitlines():
        source, _, targets = line.partition(" -> ")
        arrows[source.strip()] = set(targets.split())
    return arrows


ARROWS = _arrows()
PARTS = sorted(set(ARROWS) | {t for ts in ARROWS.values() for t in ts} | set(PACKAGES), key=len, reverse=True)


def _part(module: str) -> str | None:
    return next((p for p in PARTS if module == p or module.startswith(p + ".")), None)


def _module_name(path: Path, package: str) -> str:
    relative = path.relative_to(PACKAGES[package].parent).with_suffix("")
    parts = list(relative.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[tuple[str, str], list[str]]:
    """(source part, target part) -> where ("file:line") for every floe import crossing parts."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for package, src in PACKAGES.items():
        for path in src.rglob("*.py"):
            module = _module_name(path, package)
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    targets = [f"{node.module}.{a.name}" for a in node.names]  # a name may be a module
                elif isinstance(node, ast.Import):
                    targets = [a.name for a in node.names]
                else:
                    continue
                for target in targets:
                    source_part, target_part = _part(module), _part(target)
                    if target_part is None or source_part is None or source_part == target_part:
                        continue
                    if target_part.split(".")[0] != source_part.split(".")[0]:  # across packages
                        source_part, target_part = source_part.split(".")[0], target_part.split(".")[0]
                    edges[(source_part, target_part)].append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return edges


EDGES = _imports()


def test_every_import_follows_an_arrow() -> None:
    wrong = [
        f"{source} -> {target} ({', '.join(where[:3])})"
        for (source, target), where in sorted(EDGES.items())
        if target not in ARROWS.get(source, set()) and not _face(source, target)
    ]
    assert wrong == [], "imports that docs/architecture.md does not allow:\n" + "\n".join(wrong)


def test_every_arrow_is_an_import() -> None:
    unused = [f"{s} -> {t}" for s, targets in ARROWS.items() for t in targets if (s, t) not in EDGES]
    assert unused == [], "arrows in docs/architecture.md that no import follows:\n" + "\n".join(unused)


def test_core_imports_neither_dagster_nor_dbt_and_dbt_no_dagster() -> None:
    banned = {
        "floe_core": ("dagster", "dbt", "dagster_dbt"),
        "floe_dbt": ("dagster", "dagster_dbt"),
        # floe-api talks to Dagster over HTTP (GraphQL) only: no dagster, dbt or floe_dagster/floe_dbt import
        "floe_api": ("dagster", "dbt", "dagster_dbt", "dagster_graphql", "floe_dagster", "floe_dbt"),
        # floe-airflow: floe-core only (its runtime module imports Airflow, inside Airflow's own venv)
        "floe_airflow": ("dagster", "dbt", "dagster_dbt", "floe_dagster", "floe_dbt", "floe_api"),
    }
    found = []
    for package, names in banned.items():
        for path in PACKAGES[package].rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                modules += [a.name for a in node.names] if isinstance(node, ast.Import) else []
                found += [f"{path.relative_to(ROOT)}: {m}" for m in modules if m.split(".")[0] in names]
    assert found == []


def _face(source: str, target: str) -> bool:
    """A package's face (its __init__) re-exporting its own parts."""
    return source in PACKAGES and target.startswith(source + ".")
