"""Every collected test has its own node id. pytest-xdist schedules and reports by node id: tests sharing one
are silently run or counted once (schemathesis' per-operation items under pytest 9.2 did: 940 collected, 928
reported, and the CI exit code still 0)."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_test_has_its_own_node_id() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:xdist", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    ids = [line for line in done.stdout.splitlines() if "::" in line]
    assert len(ids) > 900, done.stdout[-2000:]
    shared = {node: n for node, n in Counter(ids).items() if n > 1}
    assert shared == {}
