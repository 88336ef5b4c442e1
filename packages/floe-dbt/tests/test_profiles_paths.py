"""Local file paths in floe.yaml are relative to floe.yaml; profiles.yml rebases them onto the dbt folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from floe_dbt.profiles import LocalPaths, render_output


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("warehouse.duckdb", "../warehouse.duckdb"),
        (".floe/demo.duckdb", "../.floe/demo.duckdb"),
        ("dbt/inside.duckdb", "inside.duckdb"),
        (":memory:", ":memory:"),
        ("md:analytics", "md:analytics"),
        ("s3://bucket/db.duckdb", "s3://bucket/db.duckdb"),
        ("/abs/db.duckdb", "/abs/db.duckdb"),
    ],
)
def test_duckdb_paths_are_rebased_onto_the_dbt_folder(
    written: str, expected: str, tmp_path: Path, spec_factory: Any
) -> None:
    target = {
        "type": "duckdb",
        "properties": {"path": written, "attach": [{"path": written, "alias": "other"}]},
    }
    spec = spec_factory({"dev": target})
    paths = LocalPaths(floe_dir=tmp_path, dbt_dir=tmp_path / "dbt")
    out = render_output("dev", spec.compute.targets["dev"], paths)
    assert out["path"] == expected
    assert out["attach"] == [{"path": expected, "alias": "other", "read_only": False}]


def test_without_folders_paths_are_left_as_written(spec_factory: Any) -> None:
    spec = spec_factory({"dev": {"type": "duckdb", "properties": {"path": "x.duckdb"}}})
    assert render_output("dev", spec.compute.targets["dev"], LocalPaths())["path"] == "x.duckdb"
    assert render_output("dev", spec.compute.targets["dev"])["path"] == "x.duckdb"
