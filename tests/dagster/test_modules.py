"""Python asset modules from `orchestration.asset_modules`: loading, metadata kept, clear errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from dagster import AssetKey
from floe_core.errors import FloeError
from floe_dagster import FloeDefinitions
from floe_projects import write_artifacts

MODULE_A = """
from dagster import AssetSpec, asset, asset_check, AssetCheckResult, multi_asset, AssetOut

@asset(group_name="bronze", kinds={"python", "duckdb"}, owners=["team:ingest"], description="A things.")
def a_things() -> None: ...

@asset_check(asset=a_things)
def a_things_not_empty() -> AssetCheckResult:
    return AssetCheckResult(passed=True)

@multi_asset(outs={"m_one": AssetOut(group_name="multi"), "m_two": AssetOut(group_name="multi")})
def both():
    yield from ()

external = [AssetSpec("vendor_feed", description="Produced outside Dagster")]
"""


def _project(tmp_path: Path, modules: list[str], files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text))
    spec = {
        "name": "mods",
        "version": "1",
        "compute": {
            "default": "dev",
            "targets": {"dev": {"type": "duckdb", "properties": {"path": "x.duckdb"}}},
        },
        "orchestration": {"asset_modules": modules},
    }
    return write_artifacts(tmp_path, spec)


def _error(path: Path) -> str:
    with pytest.raises(FloeError) as info:
        FloeDefinitions.from_compiled_artifacts(path)
    return str(info.value)


def test_assets_checks_multi_assets_and_specs_are_loaded_as_declared(tmp_path: Path) -> None:
    defs = FloeDefinitions.from_compiled_artifacts(
        _project(tmp_path, ["assets/a.py"], {"assets/a.py": MODULE_A})
    )
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert keys == {"a_things", "m_one", "m_two", "vendor_feed"}
    node = graph.get(AssetKey("a_things"))
    assert (node.group_name, node.kinds, node.owners, node.description) == (
        "bronze",
        {"python", "duckdb"},
        ["team:ingest"],
        "A things.",
    )
    assert graph.get(AssetKey("m_two")).group_name == "multi"
    assert not graph.get(AssetKey("vendor_feed")).is_materializable
    assert {c.name for c in graph.asset_check_keys} == {"a_things_not_empty"}
    assert "duckdb" in (defs.resources or {})  # the active DuckDB target is offered to Python assets


def test_dotted_module_names_resolve_from_the_project_folder(tmp_path: Path) -> None:
    files = {"pkg_h3_dotted/__init__.py": "", "pkg_h3_dotted/layer.py": MODULE_A}
    defs = FloeDefinitions.from_compiled_artifacts(_project(tmp_path, ["pkg_h3_dotted.layer"], files))
    assert AssetKey("a_things") in defs.resolve_asset_graph().get_all_asset_keys()


def test_missing_file(tmp_path: Path) -> None:
    message = _error(_project(tmp_path, ["assets/nope.py"], {}))
    assert "orchestration.asset_modules[0] = 'assets/nope.py'" in message
    assert str(tmp_path / "assets" / "nope.py") in message and "does not exist" in message
    assert str(tmp_path / "floe.yaml") in message


def test_missing_dotted_module(tmp_path: Path) -> None:
    message = _error(_project(tmp_path, ["no_such_pkg_h3.assets"], {}))
    assert "'no_such_pkg_h3.assets' not found" in message and "asset_modules[0]" in message


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    bad = "from dagster import asset\n\n@asset\ndef broken(:\n    pass\n"
    message = _error(_project(tmp_path, ["ok.py", "bad.py"], {"ok.py": MODULE_A, "bad.py": bad}))
    assert "asset_modules[1] = 'bad.py'" in message
    assert f"syntax error in {tmp_path / 'bad.py'}, line 4" in message
    assert "def broken(:" in message


def test_import_error_names_file_line_and_cause(tmp_path: Path) -> None:
    bad = "import os\n\nVALUE = 1\nimport definitely_not_installed_h3\n"
    message = _error(_project(tmp_path, ["bad.py"], {"bad.py": bad}))
    assert f"at {tmp_path / 'bad.py'}, line 4" in message
    assert "ModuleNotFoundError: No module named 'definitely_not_installed_h3'" in message


def test_exception_at_import_names_line(tmp_path: Path) -> None:
    bad = "x = 1\ny = {}\nz = y['missing']\n"
    message = _error(_project(tmp_path, ["bad.py"], {"bad.py": bad}))
    assert f"{tmp_path / 'bad.py'}, line 3" in message and "KeyError: 'missing'" in message


def test_duplicate_keys_between_modules_name_both_origins(tmp_path: Path) -> None:
    other = "from dagster import asset\n\n@asset\ndef a_things() -> None: ...\n"
    message = _error(_project(tmp_path, ["a.py", "b.py"], {"a.py": MODULE_A, "b.py": other}))
    assert "asset key 'a_things' is defined twice" in message
    assert f"({tmp_path / 'a.py'}), attribute 'a_things'" in message
    assert f"({tmp_path / 'b.py'}), attribute 'a_things'" in message


def test_reimported_asset_is_not_a_duplicate(tmp_path: Path) -> None:
    files = {
        "pkg_h3_re/__init__.py": "",
        "pkg_h3_re/a.py": MODULE_A,
        "pkg_h3_re/b.py": "from pkg_h3_re.a import a_things\n",
    }
    defs = FloeDefinitions.from_compiled_artifacts(_project(tmp_path, ["pkg_h3_re.a", "pkg_h3_re.b"], files))
    assert AssetKey("a_things") in defs.resolve_asset_graph().get_all_asset_keys()


def test_sys_exit_at_import_is_a_floe_error_naming_the_module_and_line(tmp_path: Path) -> None:
    # Uncaught, SystemExit ended the webserver, the daemon or a run worker with code 3 and no message.
    bad = "import sys\n\nsys.exit(3)\n"
    message = _error(_project(tmp_path, ["ok.py", "quits.py"], {"ok.py": MODULE_A, "quits.py": bad}))
    assert "asset_modules[1] = 'quits.py'" in message
    assert (
        f"at {tmp_path / 'quits.py'}, line 3" in message
        and "called sys.exit(3) while being imported" in message
    )
