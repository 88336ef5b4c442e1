"""tests/orchestration fixtures; helpers live in orch_support.py (put on sys.path here: importlib mode)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[DagsterInstance]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    with DagsterInstance.local_temp(str(home)) as inst:
        yield inst
