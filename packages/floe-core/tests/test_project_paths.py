"""Files floe.yaml names are checked by `floe validate` (issue 15/16): the dbt project folder and asset
module paths, relative to the folder of floe.yaml. Dotted module names are left to the compile step."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from floe_core.loader import parse_spec

if TYPE_CHECKING:
    from conftest import Validation

HEAD = """\
name: demo
version: "1.0"
compute:
  default: dev
  targets:
    dev: {type: duckdb}
"""
RELATIVE = "paths are relative to the folder of floe.yaml"


def _dbt_project(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "dbt_project.yml").write_text("name: shop\nprofile: shop\n")


def test_dbt_folder_that_does_not_exist_with_a_hint(
    tmp_path: Path, validate: Callable[..., Validation]
) -> None:
    _dbt_project(tmp_path / "transform")
    run = validate(HEAD + "transforms:\n  - {type: dbt, path: transfrom}\n")
    assert run.problems == [
        f"{run.config}:8: transforms[0].path: dbt project folder 'transfrom' does not exist (looked in"
        f" {tmp_path / 'transfrom'}; {RELATIVE}); did you mean 'transform'? (got 'transfrom')"
    ]


def test_dbt_folder_without_dbt_project_yml_lists_the_projects_found(
    tmp_path: Path, validate: Callable[..., Validation]
) -> None:
    (tmp_path / "models").mkdir()
    _dbt_project(tmp_path / "warehouse")
    run = validate(HEAD + "transforms:\n  - type: dbt\n    path: models\n")
    assert run.problems == [
        f"{run.config}:9: transforms[0].path: no dbt_project.yml in 'models' (looked in {tmp_path / 'models'};"
        f" {RELATIVE}): expected a dbt project folder; dbt projects found: warehouse (got 'models')"
    ]


def test_dbt_path_that_is_a_file(tmp_path: Path, validate: Callable[..., Validation]) -> None:
    (tmp_path / "dbt_project.yml").write_text("name: x\n")
    run = validate(HEAD + "transforms:\n  - {type: dbt, path: dbt_project.yml}\n")
    assert run.line_for("transforms[0].path").endswith(
        "transforms[0].path: 'dbt_project.yml' is a file; expected the dbt project folder, the one holding"
        " dbt_project.yml (got 'dbt_project.yml')"
    )


def test_asset_module_paths(tmp_path: Path, validate: Callable[..., Validation]) -> None:
    (tmp_path / "assets" / "silver").mkdir(parents=True)
    (tmp_path / "assets" / "bronze.py").write_text("")
    (tmp_path / "assets" / "notes.txt").write_text("")
    run = validate(
        HEAD
        + "orchestration:\n"
        + "  asset_modules:\n"
        + "    - assets/bronze.py\n"  # fine
        + "    - assets/bronz.py\n"  # line 10: missing, close to bronze.py
        + "    - assets/silver\n"  # line 11: a folder
        + "    - assets/notes.txt\n"  # line 12: not Python (an internal assert in floe-dagster before)
        + "    - some.dotted.module\n"  # not checked here: finding it means importing it
    )
    assert run.problems == [
        f"{run.config}:10: orchestration.asset_modules[1]: asset module file 'assets/bronz.py' does not exist"
        f" (looked for {tmp_path / 'assets' / 'bronz.py'}; {RELATIVE}); did you mean 'assets/bronze.py'?"
        " (got 'assets/bronz.py')",
        f"{run.config}:11: orchestration.asset_modules[2]: asset module path 'assets/silver' is a folder:"
        " write the path of a .py file relative to floe.yaml (e.g. 'assets/raw.py'), or a dotted module"
        " name (e.g. 'assets.raw') (got 'assets/silver')",
        f"{run.config}:12: orchestration.asset_modules[3]: asset module path 'assets/notes.txt' is not a .py"
        " file: write the path of a .py file relative to floe.yaml (e.g. 'assets/raw.py'), or a dotted"
        " module name (e.g. 'assets.raw') (got 'assets/notes.txt')",
    ]


def test_paths_come_with_every_other_problem(tmp_path: Path, validate: Callable[..., Validation]) -> None:
    run = validate(HEAD.replace("default: dev", "default: dve") + "transforms:\n  - {type: dbt, path: dbt}\n")
    assert [line.split(": ", 2)[1] for line in run.problems] == ["compute.default", "transforms[0].path"]


def test_a_path_from_an_unset_variable_is_reported_once(validate: Callable[..., Validation]) -> None:
    run = validate(HEAD + "transforms:\n  - {type: dbt, path: '${FLOE_TEST_UNSET_DBT_DIR}'}\n")
    [line] = run.problems
    assert "environment variable FLOE_TEST_UNSET_DBT_DIR is not set" in line


def test_parse_spec_without_a_folder_does_not_look_at_files() -> None:
    text = HEAD + "transforms:\n  - {type: dbt, path: nowhere}\norchestration:\n  asset_modules: [x/y.py]\n"
    spec = parse_spec(text, env={})
    assert spec.dbt_transform is not None and spec.dbt_transform.path == "nowhere"
