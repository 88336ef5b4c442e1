"""Bounded YAML input (issue 16, item 6): hostile documents are refused with a message naming the bound.

Before: a 450-byte alias bomb ran for 86 s (2.4 GB), a 50 MB file was still parsing after 300 s, 5000
levels of nesting ended in an internal RecursionError and a NUL byte was reported by position only. No
timing is asserted here (speed belongs in benchmarks); each test would hang or crash without its bound.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from floe_core.errors import FloeValidationError
from floe_core.limits import MAX_ALIAS_VALUES, MAX_DOCUMENT_BYTES, MAX_NESTING_DEPTH, MAX_NODES
from floe_core.loader import load_spec, read_config
from floe_core.yaml_source import load_yaml

if TYPE_CHECKING:
    from conftest import Validation

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""
TOO_DEEP = (
    f"mappings and lists nested deeper than {MAX_NESTING_DEPTH} levels (floe_core.limits.MAX_NESTING_DEPTH)"
)


def _only_issue(text: str) -> str:
    with pytest.raises(FloeValidationError) as caught:
        load_yaml(text, "f.yaml")
    [line] = caught.value.render().splitlines()[1:]
    return line


def test_billion_laughs(validate: Callable[..., Validation]) -> None:
    run = validate(BILLION_LAUGHS)
    assert len(BILLION_LAUGHS) < 500
    [line] = run.problems
    assert line.startswith(f"{run.config}:1:")
    assert line.endswith(
        f"aliases expand to more than {MAX_ALIAS_VALUES:,} values (floe_core.limits.MAX_ALIAS_VALUES):"
        " nested aliases grow exponentially; use anchors and aliases only for small shared blocks"
    )


def test_merge_keys_count_as_alias_expansion() -> None:
    lines = ["a0: &a0 {x: 1, y: 2, z: 3}"]
    lines += [f"a{i}: &a{i} {{<<: [*a{i - 1}], k{i}: 1}}" for i in range(1, 200)]
    assert "MAX_ALIAS_VALUES" in _only_issue("\n".join(lines) + "\n")


def test_ordinary_anchors_and_merge_keys_still_work() -> None:
    doc = load_yaml("base: &b {x: 1}\nuse: {<<: *b, y: 2}\nlist: [*b, *b]\n")
    assert doc.data == {"base": {"x": 1}, "use": {"x": 1, "y": 2}, "list": [{"x": 1}, {"x": 1}]}


@pytest.mark.parametrize("text", ["a: &a [1, *a]\n", "a: &a {x: 1, <<: *a}\n"])
def test_an_alias_inside_its_own_anchor(text: str) -> None:
    assert _only_issue(text).endswith(
        "an alias refers to a mapping or list that contains it (a recursive structure); an alias may only"
        " refer to a value defined outside of it"
    )


def test_5000_levels_of_nesting(validate: Callable[..., Validation]) -> None:
    run = validate("a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert run.problems == [f"{run.config}:1:103: <root>: {TOO_DEEP}; floe.yaml needs fewer than 10"]


def test_depth_bound_is_exact() -> None:
    def nested(levels: int) -> str:  # the top-level mapping is level 1
        return "".join(" " * i + "k:\n" for i in range(levels - 1)) + " " * (levels - 1) + "k: 1\n"

    assert load_yaml(nested(MAX_NESTING_DEPTH)).data is not None
    assert _only_issue(nested(MAX_NESTING_DEPTH + 1)) == (
        f"f.yaml:{MAX_NESTING_DEPTH + 1}:{MAX_NESTING_DEPTH + 1}: <root>: {TOO_DEEP}; floe.yaml needs fewer"
        " than 10"
    )


def test_deep_nesting_through_aliases_is_bounded_too() -> None:
    lines = ["a0: &a0 [1]"] + [f"a{i}: &a{i} [*a{i - 1}]" for i in range(1, 150)]
    assert TOO_DEEP in _only_issue("\n".join(lines) + "\n")


def test_too_many_values() -> None:
    line = _only_issue("[" + "1," * MAX_NODES + "]\n")
    assert line.endswith(
        f"<root>: more than {MAX_NODES:,} values (floe_core.limits.MAX_NODES); floe.yaml needs far fewer"
    )


def test_too_large_text() -> None:
    text = "x: " + "y" * MAX_DOCUMENT_BYTES + "\n"
    assert _only_issue(text) == (
        f"f.yaml: <root>: the file has {len(text):,} bytes; floe reads at most {MAX_DOCUMENT_BYTES:,}"
        " (5 MiB, floe_core.limits.MAX_DOCUMENT_BYTES); a floe.yaml is normally a few kilobytes"
    )


def test_too_large_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "floe.yaml"
    with path.open("wb") as handle:  # 50 MB, sparse: the test itself writes almost nothing
        handle.write(b"name: demo\n")
        handle.truncate(50 * 2**20)
    with pytest.raises(FloeValidationError) as caught:
        load_spec(path)
    assert caught.value.render().splitlines()[1] == (
        f"{path}: <root>: the file has {50 * 2**20:,} bytes; floe reads at most {MAX_DOCUMENT_BYTES:,}"
        " (5 MiB, floe_core.limits.MAX_DOCUMENT_BYTES); a floe.yaml is normally a few kilobytes"
    )


def test_a_stream_is_read_only_up_to_the_bound(tmp_path: Path) -> None:
    """A pipe has no size to check first: floe stops reading after the bound (the writer then gets a
    broken pipe). Had floe read it all, it would know the size and say 'the file has N bytes'."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this system")
    fifo = tmp_path / "floe.yaml"
    os.mkfifo(fifo)
    written: list[int] = []

    def write() -> None:
        chunk = b"#" * 65536
        with contextlib.suppress(BrokenPipeError), fifo.open("wb") as handle:
            for _ in range(MAX_DOCUMENT_BYTES // len(chunk) + 16):  # 1 MiB more than the bound
                handle.write(chunk)
                written.append(len(chunk))

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    with pytest.raises(FloeValidationError) as caught:
        read_config(fifo)
    writer.join(timeout=60)
    assert f"the file has more than {MAX_DOCUMENT_BYTES:,} bytes" in caught.value.render()
    assert sum(written) < MAX_DOCUMENT_BYTES + 2**20  # the writer was cut off


def test_nul_byte_has_line_and_column(validate: Callable[..., Validation]) -> None:
    run = validate('name: demo\nversion: "1\x00"\n')
    assert run.problems == [
        f"{run.config}:2:12: <root>: character U+0000 (NUL) is not allowed in YAML; remove it (only tabs,"
        " line breaks and printable characters may appear)"
    ]


def test_many_control_characters_are_listed_then_counted() -> None:
    text = "a: b\n" + "x: \x1b\n" * 25
    with pytest.raises(FloeValidationError) as caught:
        load_yaml(text, "f.yaml")
    lines = caught.value.render().splitlines()[1:]
    assert lines[0].startswith("f.yaml:2:4: <root>: character U+001B (ESC) is not allowed in YAML")
    assert lines[9].startswith("f.yaml:11:4: <root>: character U+001B (ESC)")
    assert lines[10] == "f.yaml: <root>: and 15 more characters YAML does not allow"
    assert len(lines) == 11
