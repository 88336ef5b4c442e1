"""`floe init`, `floe --version` and the examples in every built-in `--help` (issue 15)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from floe_core.cli import BUILTIN_COMMANDS, build_parser, main
from floe_core.loader import load_spec
from floe_core.scaffold import dagster_yaml_text, definitions_text

DBT_PROJECT = "name: shop\nversion: '1.0'\nconfig-version: 2\nprofile: shop_profile\n"


def _floe(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out, captured.err


def _dbt_project(folder: Path, text: str = DBT_PROJECT) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dbt_project.yml").write_text(text, encoding="utf-8")


def test_init_finds_the_dbt_project_one_level_below(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _dbt_project(tmp_path / "transform")
    code, out, _ = _floe(capsys, "init", "--path", str(tmp_path))
    assert code == 0
    spec = load_spec(tmp_path / "floe.yaml", env={})  # what `floe validate` runs, files included
    assert spec.name == "shop"
    assert spec.dbt_transform is not None
    assert (spec.dbt_transform.path, spec.dbt_transform.profile_name) == ("transform", None)  # dbt's profile
    dev = spec.compute.targets["dev"]
    assert dev.type == "duckdb" and dev.properties.path == ".floe/shop.duckdb"  # type: ignore[union-attr]
    assert (tmp_path / "definitions.py").read_text() == definitions_text()
    assert "from floe_dagster import FloeDefinitions" in definitions_text()
    assert "defs = FloeDefinitions.from_compiled_artifacts()" in definitions_text()
    assert (tmp_path / ".gitignore").read_text().splitlines()[1:] == [
        ".floe/",
        "target/",
        "logs/",
        "*.duckdb",
        "*.duckdb.wal",
    ]
    assert not (tmp_path / ".floe").exists()  # no dagster.yaml unless asked
    assert "wrote floe.yaml" in out and "dbt project: transform (profile shop_profile)" in out
    code, out, err = _floe(capsys, "validate", "-c", str(tmp_path / "floe.yaml"))
    assert (code, err) == (0, "")


def test_init_in_the_dbt_project_folder_itself_and_without_a_profile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _dbt_project(tmp_path, "name: jaffle\nversion: '1.0'\n")  # no `profile:`: floe must name one
    monkeypatch.chdir(tmp_path)
    assert _floe(capsys, "init")[0] == 0
    spec = load_spec(tmp_path / "floe.yaml", env={})
    assert spec.dbt_transform is not None
    assert (spec.name, spec.dbt_transform.path, spec.dbt_transform.profile_name) == ("jaffle", ".", "jaffle")


def test_init_without_a_dbt_project_still_validates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "9 lives!"  # the name is made to fit floe's pattern
    code, out, _ = _floe(capsys, "init", "--path", str(folder))
    assert code == 0
    spec = load_spec(folder / "floe.yaml", env={})
    assert (spec.name, spec.transforms) == ("_9_lives_", [])
    assert "no dbt project found" in out


def test_init_refuses_to_overwrite_and_lists_what_exists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "floe.yaml").write_text("mine\n")
    (tmp_path / "definitions.py").write_text("mine too\n")
    code, out, err = _floe(capsys, "init", "--path", str(tmp_path))
    assert code == 1
    assert err == (
        f"floe: error: floe init would overwrite floe.yaml, definitions.py in {tmp_path.resolve()}; nothing"
        " was written. Move them away, or pass --force to replace them\n"
    )
    assert (tmp_path / "floe.yaml").read_text() == "mine\n"
    assert not (tmp_path / ".gitignore").exists()
    code, out, _ = _floe(capsys, "init", "--path", str(tmp_path), "--force")
    assert code == 0 and "replaced floe.yaml" in out
    assert load_spec(tmp_path / "floe.yaml", env={}).name


def test_gitignore_lines_are_appended_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".gitignore").write_text(
        "node_modules/\n/.floe\ntarget", encoding="utf-8"
    )  # no final newline
    assert _floe(capsys, "init", "--path", str(tmp_path), "--dagster-home", "dagster_home")[0] == 0
    first = (tmp_path / ".gitignore").read_text()
    assert first.splitlines() == [
        "node_modules/",
        "/.floe",
        "target",
        "# floe, dbt, DuckDB, Dagster (floe init)",
        "logs/",
        "*.duckdb",
        "*.duckdb.wal",
        "dagster_home/",
    ]
    assert _floe(capsys, "init", "--path", str(tmp_path), "--dagster-home", "dagster_home", "--force")[0] == 0
    assert (tmp_path / ".gitignore").read_text() == first


def test_dagster_yaml_only_when_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _floe(capsys, "init", "--path", str(tmp_path), "--dagster-home")
    assert code == 0
    written = tmp_path / ".floe" / "dagster_home" / "dagster.yaml"
    assert written.read_text() == dagster_yaml_text()
    assert f"export DAGSTER_HOME={written.parent.resolve()}" in out
    assert ".floe/dagster_home/" not in (tmp_path / ".gitignore").read_text()  # .floe/ covers it


def test_several_dbt_projects_need_a_choice(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _dbt_project(tmp_path / "a")
    _dbt_project(tmp_path / "b")
    code, _, err = _floe(capsys, "init", "--path", str(tmp_path))
    assert code == 1
    assert "several dbt projects in" in err and "a, b; choose one with --dbt-project PATH" in err
    assert not (tmp_path / "floe.yaml").exists()
    assert _floe(capsys, "init", "--path", str(tmp_path), "--dbt-project", "b")[0] == 0
    spec = load_spec(tmp_path / "floe.yaml", env={})
    assert spec.dbt_transform is not None and spec.dbt_transform.path == "b"


def test_bad_name_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _floe(capsys, "init", "--path", str(tmp_path), "--name", "1 bad")
    assert code == 1
    assert "--name '1 bad': a project name is letters, digits, _ and -" in err
    assert list(tmp_path.iterdir()) == []


def test_version_lists_the_installed_floe_packages(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    expected = []
    for name in (
        "floe-data-core",
        "floe-data-dbt",
        "floe-data-dagster",
        "floe-data-api",
        "floe-data-airflow",
    ):
        try:
            expected.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            continue
    assert lines == expected
    assert lines[0].startswith("floe-data-core ")


@pytest.mark.parametrize("command", sorted(BUILTIN_COMMANDS))
def test_every_builtin_help_has_examples(command: str) -> None:
    parser = build_parser(plugins=False)
    [sub] = [a for a in parser._actions if a.dest == "command"]
    text = sub.choices[command].format_help()  # type: ignore[attr-defined]
    examples = text.split("examples:\n", 1)[1].splitlines()
    assert examples and all(line.startswith("  ") for line in examples if line)
    assert any(line.strip().startswith(f"floe {command}") for line in examples)
    assert "examples:\n  floe init" in parser.format_help()
