"""Fixtures for the workflow tests: the contract's examples (verbatim files) and a project builder."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

CONTRACT = Path(__file__).parent / "contract"

FLOE_YAML = """\
name: demo
version: "1.0"
compute:
  default: dev
  targets:
    dev: {type: duckdb, properties: {path: demo.duckdb}}
"""


def contract(name: str) -> str:
    """A contract example, unchanged (tests/workflows/contract/<name>)."""
    return (CONTRACT / name).read_text(encoding="utf-8")


def diamond_workflow() -> str:
    """The contract's §8.1 `jobs:` fragment, unchanged, as the jobs of a workflow named `diamond`."""
    return "workflow:\n  name: diamond\n" + textwrap.indent(contract("jobs_8_1.yaml"), "  ")


def diamond_job(name: str) -> str:
    return f"""\
job:
  name: {name}
  image: localhost/busybox:latest
  command: ["sh", "-c", "echo {name} {{{{ ds }}}}"]
"""


MakeProject = Callable[..., Path]


@pytest.fixture
def example() -> Callable[[str], str]:
    """`example("workflow_4_2.yaml")`: a contract example, unchanged."""
    return contract


@pytest.fixture
def diamond_files() -> dict[str, str]:
    """The §8.1 diamond in the Git layout: workflow.yaml (jobs by name only) + jobs/job_<x>.yaml."""
    files = {"workflows/diamond/workflow.yaml": diamond_workflow()}
    for name in ("job_a", "job_b", "job_c", "job_d"):
        files[f"workflows/diamond/jobs/{name}.yaml"] = diamond_job(name)
    return files


@pytest.fixture
def make_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MakeProject:
    """Write floe.yaml (+ `workflows:` text) and `files` under tmp_path; cwd = tmp_path; returns floe.yaml.

    Messages then name files relative to the project: `workflows/x/workflow.yaml:3: ...`.
    """

    def make(files: dict[str, str] | None = None, workflows: str = "workflows:\n  path: workflows\n") -> Path:
        monkeypatch.chdir(tmp_path)
        for name, text in (files or {}).items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        (tmp_path / "workflows").mkdir(exist_ok=True)
        config = Path("floe.yaml")
        (tmp_path / config).write_text(FLOE_YAML + workflows, encoding="utf-8")
        return config

    return make
