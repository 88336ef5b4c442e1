"""The negative set: each file in invalid/ makes `floe validate` exit 1, naming the expected path.

Runs `floe validate` in-process (test_cli.py covers the `floe` executable itself): an uncaught exception
would fail the test just as a traceback would. Each file's first line is `# expect: <floe.yaml path>`
(`<root>` for problems with the whole file).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from floe_core.cli import main

INVALID = Path(__file__).parent / "invalid"
CASES = sorted(INVALID.glob("*.yaml"))


def test_the_set_is_large_enough() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_invalid_file_is_rejected_with_its_path(
    case: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = case.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), f"{case.name}: first line must be '# expect: <path>'"
    expected = first.removeprefix("# expect: ").strip()
    monkeypatch.delenv("FLOE_TEST_UNSET_VARIABLE_XYZ", raising=False)
    code = main(["validate", "-c", str(case)])
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert code == 1, output
    assert "Traceback" not in output
    assert f"{case}:" in output  # every issue line starts with the file name
    assert f": {expected}: " in output, output
