"""The `dagster dev` harness itself: a webserver whose port was taken between `free_port()` and its bind does
not leave the test talking to whatever holds the port (what timed out CI's API e2e fixture after 300 s)."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dev_server
from floe_ports import free_port

pytestmark = pytest.mark.slow

DEFINITIONS = """
from dagster import Definitions, asset


@asset
def one() -> int:
    return 1


defs = Definitions(assets=[one])
"""


def test_a_taken_port_makes_dagster_dev_start_again_on_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "defs.py").write_text(DEFINITIONS)
    with socket.socket() as squatter:  # holds the port the first start is given, as a client's socket would
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        ports = iter([taken])
        monkeypatch.setattr(dev_server, "free_port", lambda: next(ports, None) or free_port())
        with dev_server.dagster_dev(tmp_path, "defs.py", tmp_path / "home", {}) as dev:
            assert dev.port != taken
            assert dev.serves_this_instance() is True
            assert dev.graphql("{ version }")["version"]
    first_log = (tmp_path / f"dagster_dev_{taken}.log").read_text()
    assert dev_server.BIND_FAILED in first_log
