"""`floe workflow plan / list-local` and `floe validate` over workflows, through floe_core.cli.main."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from floe_core.cli import main
from floe_core.workflows import cli as workflow_cli

MakeProject = Callable[..., Path]
Example = Callable[[str], str]
Capture = pytest.CaptureFixture[str]

SECRETS_JOB = """\
workflow:
  name: load_orders
  schedule: {cron: "30 1 * * *", timezone: Europe/Berlin, start_date: "2024-01-01"}
  on_failure: continue
  jobs:
    - job:
        name: load
        image: lakehouse/load:2.1
        command: [python, -m, load]
        args: [--day, "{{ ds }}", --until, "{{ next_execution_date }}"]
        params: {table: raw.orders}
        env:
          WAREHOUSE_PASSWORD: {secret_env: WAREHOUSE_PASSWORD}
          TARGET: "s3://lake/{{ params.table }}/{{ ds_nodash }}"
        resources: {cpu: 500m, memory: 1Gi}
        retry: {max_attempts: 4, delay: 1m, exponential_backoff: true, backoff_multiplier: 3, max_delay: 5m}
        timeout: 2h
"""


def run(capsys: Capture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_plan_table(make_project: MakeProject, example: Example, capsys: Capture) -> None:
    make_project({"workflows/daily_sales_pipeline/workflow.yaml": example("workflow_4_2.yaml")})
    code, out, err = run(capsys, "workflow", "plan", "daily_sales_pipeline", "--date", "2024-01-02")
    assert (code, err) == (0, "")
    assert (
        out
        == """\
workflow daily_sales_pipeline: window 2024-01-02T02:00:00+00:00 .. 2024-01-03T02:00:00+00:00 (partition 2024-01-02), launched at 2024-01-03T02:00:00+00:00
runtime: docker; on failure: stop_downstream

JOB              IMAGE                    DEPENDS ON       ATTEMPTS  RETRY DELAYS
extract_sales    lakehouse/extract:1.0    -                1         -
transform_sales  lakehouse/transform:1.0  extract_sales    1         -
generate_report  lakehouse/report:1.0     transform_sales  1         -

extract_sales
  argv: <image entrypoint>
  env:  SOURCE=sales_db
        EXECUTION_DATE=2024-01-02

transform_sales
  argv: <image entrypoint>
  env:  INPUT_TABLE=raw.sales
        OUTPUT_TABLE=iceberg.sales.orders
        EXECUTION_DATE=2024-01-02

generate_report
  argv: <image entrypoint>
  env:  TABLE=iceberg.sales.orders
        EXECUTION_DATE=2024-01-02
"""
    )


def test_plan_shows_secrets_as_references_and_retry_delays(
    make_project: MakeProject, capsys: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAREHOUSE_PASSWORD", "hunter2-do-not-print")
    make_project({"workflows/load_orders/workflow.yaml": SECRETS_JOB})
    code, out, _ = run(
        capsys, "workflow", "plan", "load_orders", "--date", "2024-03-31", "--param", "table=raw.o2"
    )
    assert code == 0
    assert "hunter2" not in out
    assert out.splitlines()[0] == (
        "workflow load_orders: window 2024-03-31T01:30:00+01:00 .. 2024-04-01T01:30:00+02:00 (partition"
        " 2024-03-31), launched at 2024-04-01T01:30:00+02:00"
    )
    assert out.splitlines()[1] == "runtime: docker; on failure: continue"
    assert "load  lakehouse/load:2.1  -           4         1m, 3m, 5m" in out
    assert "  argv: python -m load --day 2024-03-31 --until 2024-04-01T01:30:00+02:00\n" in out
    assert "  env:  WAREHOUSE_PASSWORD=<secret from $WAREHOUSE_PASSWORD>\n" in out
    assert "        TARGET=s3://lake/raw.o2/20240331\n        TABLE=raw.o2\n" in out
    assert "  resources: cpu 500m, memory 1Gi\n  timeout: 2h\n" in out


def test_plan_json(make_project: MakeProject, capsys: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAREHOUSE_PASSWORD", "hunter2-do-not-print")
    make_project({"workflows/load_orders/workflow.yaml": SECRETS_JOB})
    code, out, _ = run(capsys, "workflow", "plan", "load_orders", "--date", "2024-01-02", "--json")
    assert code == 0 and "hunter2" not in out
    plan = json.loads(out)
    assert (plan["workflow"], plan["runtime"], plan["on_failure"]) == ("load_orders", "docker", "continue")
    assert plan["context"]["execution_date"] == "2024-01-02T01:30:00+01:00"
    assert plan["context"]["partition_key"] == "2024-01-02"
    (job,) = plan["jobs"]
    assert job["argv"] == [
        "python",
        "-m",
        "load",
        "--day",
        "2024-01-02",
        "--until",
        "2024-01-03T01:30:00+01:00",
    ]
    assert job["env"] == {
        "WAREHOUSE_PASSWORD": {"secret_env": "WAREHOUSE_PASSWORD"},
        "TARGET": "s3://lake/raw.orders/20240102",
        "TABLE": "raw.orders",
    }
    assert (job["retry_delays"], job["timeout_seconds"], job["uses_entrypoint"]) == (
        [60.0, 180.0, 300.0],
        7200,
        False,
    )
    assert "context" not in job


def test_plan_errors(make_project: MakeProject, example: Example, capsys: Capture) -> None:
    make_project({"workflows/daily_sales_pipeline/workflow.yaml": example("workflow_4_2.yaml")})
    cases = [
        (
            ("daily_sales_pipelin", "--date", "2024-01-02"),
            "unknown workflow 'daily_sales_pipelin'; did you mean",
        ),
        (("daily_sales_pipeline", "--date", "02/01/2024"), "--date '02/01/2024': expected YYYY-MM-DD"),
        (("daily_sales_pipeline", "--date", "2023-12-31"), "is before the schedule's first window"),
        (("daily_sales_pipeline", "--date", "2024-01-02", "--param", "sourc=x"), "unknown param sourc"),
        (
            ("daily_sales_pipeline", "--date", "2024-01-02", "--param", "source"),
            "--param 'source': expected KEY=VALUE",
        ),
    ]
    for argv, message in cases:
        code, out, err = run(capsys, "workflow", "plan", *argv)
        assert (code, out) == (1, ""), argv
        assert message in err and "Traceback" not in err, err


def test_list_local(
    make_project: MakeProject, example: Example, diamond_files: dict[str, str], capsys: Capture
) -> None:
    make_project(
        {"workflows/daily_sales_pipeline/workflow.yaml": example("workflow_4_2.yaml"), **diamond_files}
    )
    code, out, _ = run(capsys, "workflow", "list-local")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["WORKFLOW", "SCHEDULE", "JOBS", "SOURCES"]
    assert lines[1].split("  ")[:3] == [
        "daily_sales_pipeline",
        "cron '0 2 * * *' UTC from 2024-01-01",
        "extract_sales,"[:-1] + ", transform_sales, generate_report",
    ]
    assert [c.strip() for c in lines[2].split("  ") if c.strip()][:3] == [
        "diamond",
        "manual",
        "job_a, job_b, job_c, job_d",
    ]
    code, out, _ = run(capsys, "workflow", "list-local", "--json")
    listing = json.loads(out)
    assert [w["name"] for w in listing] == ["daily_sales_pipeline", "diamond"]
    assert [s["path"] for s in listing[1]["sources"]][1:] == [
        f"workflows/diamond/jobs/job_{x}.yaml" for x in "abcd"
    ]


def test_validate_reports_workflow_problems(
    make_project: MakeProject, diamond_files: dict[str, str], capsys: Capture
) -> None:
    config = make_project(diamond_files)
    assert run(capsys, "validate", "-c", str(config)) == (0, "floe.yaml is valid (1 workflow)\n", "")
    Path("workflows/diamond/jobs/job_c.yaml").write_text(
        'job:\n  name: job_c\n  image: a/b:1\n  env: {API_KEY: "abc123"}\n  args: ["{{ tomorrow }}"]\n'
    )
    code, out, err = run(capsys, "validate", "-c", str(config))
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "workflows/diamond/jobs/job_c.yaml is invalid (2 problems):",
        "workflows/diamond/jobs/job_c.yaml:4: job.env.API_KEY: literal secret in env: use {secret_env: NAME} (read"
        " from the orchestrator's environment at run time)",
        "workflows/diamond/jobs/job_c.yaml:5: job.args[0]: unknown template variable 'tomorrow'; available:"
        " execution_date, ds, ts, ds_nodash, ts_nodash, prev_execution_date, next_execution_date,"
        " data_interval_start, data_interval_end, trigger_file, params (got '{{ tomorrow }}')",
    ]
    assert "abc123" not in err


def test_help_has_examples(capsys: Capture) -> None:
    with pytest.raises(SystemExit):
        main(["workflow", "plan", "--help"])
    out = capsys.readouterr().out
    assert "floe workflow plan daily_sales_pipeline --date 2024-01-02" in out
    assert "--param KEY=VALUE" in out


def test_other_packages_add_verbs(monkeypatch: pytest.MonkeyPatch, capsys: Capture) -> None:
    class EntryPoint:
        def __init__(self, name: str, register: Callable[[object], None]) -> None:
            self.name, self.value, self._register = name, f"tests:{name}", register

        def load(self) -> Callable[[object], None]:
            return self._register

    def status(verbs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        parser = verbs.add_parser("status", help="status of a run")
        parser.add_argument("run_id")
        parser.set_defaults(func=lambda args: print(f"status of {args.run_id}") or 0)

    def broken(verbs: object) -> None:
        raise RuntimeError("boom")

    def entry_points(group: str) -> list[EntryPoint]:
        assert group == "floe.workflow_commands"
        return [EntryPoint("status", status), EntryPoint("broken", broken)]

    monkeypatch.setattr(workflow_cli, "entry_points", entry_points)
    assert run(capsys, "workflow", "status", "r-1") == (
        0,
        "status of r-1\n",
        "floe: warning: workflow verbs from tests:broken unavailable: boom\n",
    )


def test_the_documented_plan_is_the_real_one(
    make_project: MakeProject, example: Example, capsys: Capture
) -> None:
    docs = (Path(__file__).parents[4] / "docs" / "workflows.md").read_text(encoding="utf-8")
    documented = docs.split("$ floe workflow plan daily_sales_pipeline --date 2024-01-02\n", 1)[1].split(
        "```", 1
    )[0]
    make_project({"workflows/daily_sales_pipeline/workflow.yaml": example("workflow_4_2.yaml")})
    code, out, _ = run(capsys, "workflow", "plan", "daily_sales_pipeline", "--date", "2024-01-02")
    assert (code, out) == (0, documented)
