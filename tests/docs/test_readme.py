"""The floe.yaml shown in README.md is valid and serves two environments by env vars alone."""

from __future__ import annotations

import re
from pathlib import Path

from floe_core.loader import parse_spec

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_floe_yaml() -> str:
    match = re.search(r"## floe.yaml in one screen\n\n```yaml\n(.*?)```", README.read_text(), re.S)
    assert match, "README lost its floe.yaml example"
    return match.group(1)


def test_readme_example_is_valid_for_dev_and_prod() -> None:
    text = _readme_floe_yaml()
    dev = parse_spec(text, env={})
    prod = parse_spec(text, env={"FLOE_TARGET": "prod", "SCHEDULES_ON": "false"})
    assert dev.compute.default == "dev"
    assert prod.compute.default == "prod"
    assert dev.orchestration.schedules["nightly"].enabled is True
    assert prod.orchestration.schedules["nightly"].enabled is False
