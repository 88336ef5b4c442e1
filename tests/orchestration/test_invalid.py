"""The negative set: every malformed orchestration block fails with its floe.yaml path and no traceback.

Files in invalid/ hold only the orchestration section; line 1 is `# expect: <path>`; `# load: factory`
marks problems that need the asset graph (caught when the Definitions load, not by `floe validate`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from floe_core.cli import main
from floe_core.errors import FloeValidationError
from orch_support import compile_project, load_defs, write_project

CASES = sorted((Path(__file__).parent / "invalid").glob("*.yaml"))


def test_the_negative_set_is_large_enough() -> None:
    assert len(CASES) >= 20


def _case(path: Path) -> tuple[str, bool, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    expect = lines[0].removeprefix("# expect:").strip()
    at_load = any(line.strip() == "# load: factory" for line in lines[:3])
    return expect, at_load, "\n".join(line for line in lines if not line.startswith("#"))


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_invalid_orchestration_is_reported_with_its_path(
    case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expect, at_load, body = _case(case)
    spec = write_project(tmp_path, body)
    # `floe validate` in-process (the CLI's own main): the same code path as the command, minus the
    # interpreter start-up; test_cli.py runs the real executable.
    code = main(["validate", "-c", str(spec)])
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert "Traceback" not in output
    if not at_load:
        assert code == 1, output
        assert expect in output, output
        return
    assert code == 0, output  # floe-core alone cannot see the asset graph
    with pytest.raises(FloeValidationError) as caught:
        load_defs(compile_project(tmp_path))
    paths = [issue.path for issue in caught.value.issues]
    assert expect in paths, caught.value.render()
    assert str(spec) in caught.value.render()
