"""floe_airflow.render and `floe airflow render`: the DAG file's source, read as a reviewer reads it (no
Airflow here: tests/airflow loads the files in Airflow's DagBag and runs them)."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from floe_airflow import dag_file_name, render_dag, write_dags
from floe_core.cli import main
from floe_core.errors import FloeError
from floe_core.loader import load_spec
from floe_core.workflows import WorkflowSet, load_workflows

SALES = """\
workflow:
  name: daily_sales_pipeline
  description: Daily sales data pipeline
  schedule: {cron: "0 2 * * *", timezone: Europe/Paris, start_date: "2024-01-01", end_date: "2024-06-01"}
  notifications:
    on_failure: [{type: slack, channel: "#data-alerts"}]
  jobs:
    - job:
        name: extract_sales
        image: lakehouse/extract:1.0
        command: [python, extract.py, "{{ ds }}"]
        params: {source: sales_db}
        retry: {max_attempts: 4, delay: 5m, exponential_backoff: true, backoff_multiplier: 3, max_delay: 30m}
        timeout: 1h
    - job: {name: transform_sales, image: lakehouse/transform:1.0, command: [python, t.py], retry: {max_attempts: 2, delay: 30s}}
      depends_on: [extract_sales]
    - job: {name: class, image: lakehouse/report:1.0, command: [python, r.py]}
      depends_on: [transform_sales]
"""
KEEP_GOING = """\
workflow:
  name: keep_going
  on_failure: continue
  jobs:
    - job: {name: a, image: x/a:1, command: [a], retry: {max_attempts: 40, delay: 1s, exponential_backoff: true}}
    - job: {name: b, image: x/b:1, command: [b]}
      depends_on: [a]
"""


def _project(tmp_path: Path, runtime: str = "type: docker") -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    config = tmp_path / "floe.yaml"
    config.write_text(
        textwrap.dedent(
            """\
            name: shop
            version: "1.0"
            compute:
              default: dev
              targets:
                dev: {type: duckdb, properties: {path: shop.duckdb}}
            workflows:
              path: workflows
              runtime:
            """
        )
        + textwrap.indent(runtime, "    ")
        + "\n"
    )
    for name, text in (("daily_sales_pipeline", SALES), ("keep_going", KEEP_GOING)):
        (tmp_path / "workflows" / name).mkdir(parents=True)
        (tmp_path / "workflows" / name / "workflow.yaml").write_text(text)
    return config


def _workflows(tmp_path: Path, runtime: str = "type: docker") -> WorkflowSet:
    config = _project(tmp_path, runtime)
    return load_workflows(load_spec(config), config)


def test_the_dag_file_is_readable_python_importing_only_airflow_and_floe(tmp_path: Path) -> None:
    workflows = _workflows(tmp_path)
    source = render_dag(workflows.get("daily_sales_pipeline"), workflows)
    tree = ast.parse(source)
    imported = {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    assert imported == {"datetime", "zoneinfo", "airflow", "floe_airflow"}
    assert 'dag_id="daily_sales_pipeline",' in source
    # floe's window semantics: a data-interval timetable in the schedule's timezone, from start to end
    assert 'schedule=CronDataIntervalTimetable("0 2 * * *", timezone="Europe/Paris"),' in source
    assert 'start_date=datetime(2024, 1, 1, 0, 0, tzinfo=ZoneInfo("Europe/Paris")),' in source
    assert 'end_date=datetime(2024, 6, 1, 0, 0, tzinfo=ZoneInfo("Europe/Paris")),' in source
    assert "catchup=False," in source
    # one task per job, depends_on as >>; a keyword job name gets a safe variable
    assert source.count("= FloeDockerOperator(") == 3
    assert "    extract_sales >> transform_sales\n    transform_sales >> job_class\n" in source
    assert 'task_id="class",' in source
    # templates stay floe's, inside the embedded spec: never an Airflow template field
    assert '"command": ["python", "extract.py", "{{ ds }}"]' in source


def test_retries_are_written_out_with_floes_exact_delays(tmp_path: Path) -> None:
    workflows = _workflows(tmp_path)
    source = render_dag(workflows.get("daily_sales_pipeline"), workflows)
    extract = source[source.index("extract_sales = ") : source.index("transform_sales = ")]
    assert "retries=3,  # max_attempts 4" in extract
    assert "retry_delay=timedelta(seconds=300)," in extract
    assert "retry_exponential_backoff=3.0," in extract
    assert "max_retry_delay=timedelta(seconds=1800)," in extract
    assert "retry_policy=FloeRetryPolicy([300, 900, 1800])," in extract  # 5m, 15m, 45m capped at 30m
    assert "execution_timeout=timedelta(seconds=3600)," in extract
    transform = source[source.index("transform_sales = ") : source.index("job_class = ")]
    assert "retries=1," in transform and "retry_policy=FloeRetryPolicy([30])," in transform
    assert "retry_exponential_backoff" not in transform
    report = source[source.index("job_class = ") :]
    assert "retries=0," in report and "retry_policy" not in report
    assert 'default_args={"on_failure_callback": NOTIFY},' in source


def test_each_runtime_has_its_operator(tmp_path: Path) -> None:
    k8s = _workflows(tmp_path / "k", "type: kubernetes\nkubernetes: {namespace: jobs}")
    assert "= FloeKubernetesPodOperator(" in render_dag(k8s.get("keep_going"), k8s)
    local = _workflows(tmp_path / "s", "type: subprocess\nsubprocess: {working_dir: bin}")
    source = render_dag(local.get("keep_going"), local)
    assert "= FloeCommandOperator(" in source
    assert f'working_dir="{(tmp_path / "s" / "bin").resolve()}",' in source


def test_continue_runs_dependents_and_an_outcome_step_fails_the_run(tmp_path: Path) -> None:
    workflows = _workflows(tmp_path)
    source = render_dag(workflows.get("keep_going"), workflows)
    b = source[source.index("    b = ") :]
    assert 'trigger_rule="all_done",' in b
    assert 'outcome = EmptyOperator(task_id="keep_going__outcome")' in source
    assert "[a, b] >> outcome" in source
    assert "schedule=None,  # manual" in source


def test_write_dags_checks_every_name_before_writing(tmp_path: Path) -> None:
    workflows = _workflows(tmp_path)
    out = tmp_path / "dags"
    with pytest.raises(FloeError, match="unknown workflow 'daily_sale'; did you mean 'daily_sales_pipeline'"):
        write_dags(workflows, ["keep_going", "daily_sale"], out)
    assert not out.exists()
    written = write_dags(workflows, ["keep_going"], out)
    assert written == [out / dag_file_name("keep_going")] and written[0].read_text().startswith(
        '"""Airflow DAG'
    )


def test_the_cli_renders_all_or_named_workflows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _project(tmp_path)
    out = tmp_path / "dags"
    assert main(["airflow", "render", "--all", "-o", str(out), "-c", str(config)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["floe_daily_sales_pipeline.py", "floe_keep_going.py"]
    assert f"wrote {out / 'floe_keep_going.py'}" in capsys.readouterr().out

    assert main(["airflow", "render", "nope", "-o", str(out), "-c", str(config)]) == 1
    assert (
        "floe: error: unknown workflow 'nope'; workflows: daily_sales_pipeline, keep_going"
        in capsys.readouterr().err
    )
    assert main(["airflow", "render", "keep_going", "--all", "-o", str(out), "-c", str(config)]) == 1
    assert "name one or more workflows, or give --all" in capsys.readouterr().err


def test_docs_show_the_dag_the_renderer_writes(tmp_path: Path) -> None:
    """docs/airflow.md's example: its workflow.yaml and runtime, rendered now, give the file it shows."""
    import re

    doc = (Path(__file__).resolve().parents[3] / "docs" / "airflow.md").read_text()
    section = doc[doc.index("## The generated DAG of the contract's example") :]
    spec = re.search(r"```yaml\n(.*?)```", section, re.S)
    shown = re.search(r"```python\n(.*?)```", section, re.S)
    assert spec and shown
    config = _project(tmp_path, "type: docker\ndocker: {network: lakehouse, pull: always}")
    folder = tmp_path / "workflows" / "daily_sales_pipeline"
    (folder / "workflow.yaml").write_text(spec[1])
    workflows = load_workflows(load_spec(config), config)
    assert render_dag(workflows.get("daily_sales_pipeline"), workflows) == shown[1]


def test_the_files_are_stable_under_ruff_format(tmp_path: Path) -> None:
    """A project's formatter (or pre-commit hook) leaves generated files alone, at line length 88 and 110."""
    import subprocess
    import sys

    workflows = _workflows(tmp_path / "p")
    written = write_dags(workflows, workflows.names(), tmp_path / "dags")
    for width in ("88", "110"):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "ruff",
                "format",
                "--isolated",
                "--check",
                "--diff",
                "--line-length",
                width,
            ]
            + [str(p) for p in written],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_which_window_an_airflow_run_is(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from floe_airflow.when import run_when
    from floe_core.workflows import Window

    workflows = _workflows(tmp_path)
    sales = workflows.get("daily_sales_pipeline").spec  # 0 2 * * * Europe/Paris
    paris = ZoneInfo("Europe/Paris")
    window = Window(datetime(2024, 1, 2, 2, tzinfo=paris), datetime(2024, 1, 3, 2, tzinfo=paris))
    # a scheduled run: logical date = the window start (a tick)
    assert run_when(sales, datetime(2024, 1, 2, 1, tzinfo=UTC), None) == window
    # `airflow dags test WF 2024-01-02`: local midnight, not a tick -> the window starting that day
    assert run_when(sales, datetime(2024, 1, 2, tzinfo=paris), None) == window
    # no logical date: the last complete window at run_after
    assert run_when(sales, None, datetime(2024, 1, 3, 12, tzinfo=UTC)) == window
    with pytest.raises(FloeError, match="is not a tick of cron '0 2 \\* \\* \\*'"):
        run_when(sales, datetime(2024, 1, 2, 9, tzinfo=UTC), None)
    manual = workflows.get("keep_going").spec
    moment = datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert run_when(manual, moment, None) == moment
    assert run_when(manual, None, moment) == moment
