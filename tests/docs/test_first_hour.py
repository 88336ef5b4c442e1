"""Every test docs/first-hour.md names exists (issue 15: the table of mistakes stays true)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_test_named_in_the_table_exists() -> None:
    table = (ROOT / "docs" / "first-hour.md").read_text()
    named = set(re.findall(r"\| ((?:tests|packages)/[\w/.-]+\.py)::(\w+) \|", table))
    assert len(named) >= 12, named
    missing = []
    for path, name in sorted(named):
        tree = ast.parse((ROOT / path).read_text())
        defined = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        if name not in defined:
            missing.append(f"{path}::{name}")
    assert missing == []
