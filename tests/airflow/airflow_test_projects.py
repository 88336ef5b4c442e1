"""Projects of the tests/airflow tests (importable as `airflow_test_projects`: tests/airflow/conftest.py puts
this folder on sys.path; a name of its own, since every test folder has a `conftest`).

`write_project` writes a floe project whose workflows are the contract's §4.2 example (its images replaced by
the local test image, which reports what it received: containers/floe-job) and the §8.1 diamond, whose last
job fails and is retried with exponential backoff — the workflows both orchestrators run in these tests.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

HERE = Path(__file__).parent
WORKFLOW_JOBS = HERE.parent / "workflows"  # workflow_jobs.py: the Dagster job rebuilt in each run process
JOB = "/usr/local/bin/floe-job"


def floe_yaml(runtime: str) -> str:
    return textwrap.dedent(
        f"""\
        name: portable
        version: "1.0"
        compute:
          default: dev
          targets:
            dev: {{type: duckdb, properties: {{path: portable.duckdb}}}}
        workflows:
          path: workflows
          runtime:
            {textwrap.indent(runtime, " " * 12).strip()}
        """
    )


def daily_sales_pipeline(image: str) -> str:
    """Contract §4.2, with `command` (the test image's job script) and the params it reads as env."""
    jobs = []
    for name, params, depends in (
        ("extract_sales", {"source": "sales_db"}, []),
        (
            "transform_sales",
            {"input_table": "raw.sales", "output_table": "iceberg.sales.orders"},
            ["extract_sales"],
        ),
        ("generate_report", {"table": "iceberg.sales.orders"}, ["transform_sales"]),
    ):
        shown = ", ".join(f"{k}: {v!r}" for k, v in params.items())
        jobs.append(
            f"""\
    - job:
        name: {name}
        image: {image}
        command: ["{JOB}", "--date", "{{{{ ds }}}}", "--next", "{{{{ next_execution_date }}}}"]
        params: {{{shown}, execution_date: "{{{{ ds }}}}"}}
        env: {{FLOE_JOB_NAME: {name}, FLOE_JOB_OUT: /out}}
      depends_on: {depends}
"""
        )
    return textwrap.dedent(
        """\
            workflow:
              name: daily_sales_pipeline
              description: Daily sales data pipeline
              schedule: {cron: "0 2 * * *", timezone: UTC, start_date: "2024-01-01"}
              jobs:
            """
    ) + "".join(jobs)


def diamond(image: str) -> str:
    """Contract §8.1; job_d exits 3 every time: 3 attempts, waits 1 s then 3 s (delay 1s, multiplier 3)."""
    return textwrap.dedent(
        f"""\
        workflow:
          name: diamond
          jobs:
            - job: {{name: job_a, image: {image}, command: ["{JOB}", "{{{{ ds }}}}"], env: {{FLOE_JOB_NAME: job_a, FLOE_JOB_OUT: /out}}}}
              depends_on: []
            - job: {{name: job_b, image: {image}, command: ["{JOB}", "b"], params: {{branch: left}}, env: {{FLOE_JOB_NAME: job_b, FLOE_JOB_OUT: /out}}}}
              depends_on: [job_a]
            - job: {{name: job_c, image: {image}, command: ["{JOB}", "c"], params: {{branch: right}}, env: {{FLOE_JOB_NAME: job_c, FLOE_JOB_OUT: /out}}}}
              depends_on: [job_a]
            - job:
                name: job_d
                image: {image}
                command: ["{JOB}", "--at", "{{{{ execution_date }}}}", "two words"]
                env: {{FLOE_JOB_NAME: job_d, FLOE_JOB_OUT: /out, FLOE_JOB_EXIT: "3"}}
                retry: {{max_attempts: 3, delay: 1s, exponential_backoff: true, backoff_multiplier: 3}}
              depends_on: [job_b, job_c]
        """
    )


def write_project(root: Path, runtime: str, workflows: dict[str, str]) -> Path:
    """floe.yaml with `runtime` (YAML of workflows.runtime) and one folder per workflow; returns floe.yaml."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "floe.yaml").write_text(floe_yaml(runtime))
    for name, text in workflows.items():
        folder = root / "workflows" / name
        folder.mkdir(parents=True)
        (folder / "workflow.yaml").write_text(text)
    return root / "floe.yaml"
