"""render_plan: the exact invocations of a run (expected values written by hand), and the retry formula."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from floe_core.errors import FloeError
from floe_core.workflows import (
    K8sSecret,
    RetryPolicy,
    SecretEnv,
    TemplateError,
    WorkflowSpec,
    load_workflow_text,
    render_plan,
    window_for,
)
from floe_core.workflows.job import JobSpec
from floe_core.workflows.workflow import JobEntry

Example = Callable[[str], str]

CONTEXT_2024_01_02 = {
    "kind": "window",
    "execution_date": "2024-01-02T02:00:00+00:00",
    "ds": "2024-01-02",
    "ds_nodash": "20240102",
    "ts": "2024-01-02T02:00:00+00:00",
    "ts_nodash": "20240102T020000",
    "prev_execution_date": "2024-01-01T02:00:00+00:00",
    "next_execution_date": "2024-01-03T02:00:00+00:00",
    "data_interval_start": "2024-01-02T02:00:00+00:00",
    "data_interval_end": "2024-01-03T02:00:00+00:00",
    "trigger_file": None,
    "partition_key": "2024-01-02",
}


def test_workflow_4_2_on_2024_01_02(example: Example) -> None:
    spec = load_workflow_text(example("workflow_4_2.yaml"), "workflow_4_2.yaml")
    plan = render_plan(spec, date(2024, 1, 2))
    assert [
        (i.job, i.image, i.argv, i.uses_entrypoint, i.params, i.env, i.depends_on, i.retry_delays)
        for i in plan
    ] == [
        (
            "extract_sales",
            "lakehouse/extract:1.0",
            [],
            True,
            {"source": "sales_db", "execution_date": "2024-01-02"},
            {"SOURCE": "sales_db", "EXECUTION_DATE": "2024-01-02"},
            [],
            [],
        ),
        (
            "transform_sales",
            "lakehouse/transform:1.0",
            [],
            True,
            {
                "input_table": "raw.sales",
                "output_table": "iceberg.sales.orders",
                "execution_date": "2024-01-02",
            },
            {
                "INPUT_TABLE": "raw.sales",
                "OUTPUT_TABLE": "iceberg.sales.orders",
                "EXECUTION_DATE": "2024-01-02",
            },
            ["extract_sales"],
            [],
        ),
        (
            "generate_report",
            "lakehouse/report:1.0",
            [],
            True,
            {"table": "iceberg.sales.orders", "execution_date": "2024-01-02"},
            {"TABLE": "iceberg.sales.orders", "EXECUTION_DATE": "2024-01-02"},
            ["transform_sales"],
            [],
        ),
    ]
    assert all(i.context.model_dump() == CONTEXT_2024_01_02 for i in plan)
    # the same run, named by its window or by its partition key's window
    window = window_for(spec.windowed_schedule, date(2024, 1, 2))  # type: ignore[arg-type]
    assert render_plan(spec, window) == plan
    assert render_plan(spec, datetime(2024, 1, 2, 2, tzinfo=UTC)) == plan


def _workflow(job_yaml: str, schedule: str = '{cron: "0 2 * * *", start_date: "2024-01-01"}') -> WorkflowSpec:
    text = (
        "workflow:\n  name: w\n" + (f"  schedule: {schedule}\n" if schedule else "") + "  jobs:\n    - job:\n"
    )
    return load_workflow_text(text + textwrap.indent(job_yaml, "        "), "w.yaml")


def test_job_3_2_in_a_daily_workflow(example: Example) -> None:
    job = example("job_3_2.yaml").removeprefix("job:\n")
    (invocation,) = render_plan(_workflow(textwrap.dedent(job)), date(2024, 1, 2))
    assert invocation.argv == [
        "python",
        "ingest.py",
        "--source",
        "sales",
        "--date",
        "2024-01-02T02:00:00+00:00",
    ]
    assert invocation.uses_entrypoint is False
    assert invocation.env == {
        "TRINO_ENDPOINT": "http://trino.lakehouse-platform.svc.cluster.local:8080",
        "ICEBERG_CATALOG": "iceberg",
        "S3_ENDPOINT": "http://minio.lakehouse-platform.svc.cluster.local:9000",
        "EXECUTION_DATE": "2024-01-02",
        "SOURCE_TABLE": "raw.sales",
        "TARGET_TABLE": "iceberg.sales.orders",
    }
    assert invocation.resources is not None and invocation.resources.memory_bytes == 2 * 1024**3
    assert (invocation.retry.max_attempts, invocation.retry_delays) == (3, [300.0, 300.0])


def test_params_render_first_then_argv_env_with_params_and_overrides() -> None:
    spec = _workflow(
        """\
name: load
image: lakehouse/load:2
command: [load]
args: ["--table={{ params.table }}", "--day={{ params.day }}", "{{ params.limit }}", "{{ params.full }}"]
params:
  table: raw.sales
  day: "{{ ds_nodash }}"
  limit: 1000
  full: false
env:
  TARGET: "s3://lake/{{ params.table }}/{{ ds }}/"
  DB_PASSWORD: {secret_env: WAREHOUSE_PASSWORD}
  API_TOKEN: {k8s_secret: {name: api, key: token}}
""",
    )
    (invocation,) = render_plan(spec, date(2024, 1, 2), params_override={"table": "raw.{{ ds }}"})
    # an override is taken verbatim: it is not a template
    assert invocation.argv == ["load", "--table=raw.{{ ds }}", "--day=20240102", "1000", "false"]
    assert invocation.params == {"table": "raw.{{ ds }}", "day": "20240102", "limit": 1000, "full": False}
    assert invocation.env == {
        "TARGET": "s3://lake/raw.{{ ds }}/2024-01-02/",
        "DB_PASSWORD": SecretEnv(secret_env="WAREHOUSE_PASSWORD"),
        "API_TOKEN": K8sSecret.model_validate({"k8s_secret": {"name": "api", "key": "token"}}),
        "TABLE": "raw.{{ ds }}",
        "DAY": "20240102",
        "LIMIT": "1000",
        "FULL": "false",
    }
    assert invocation.display_env()["DB_PASSWORD"] == "<secret from $WAREHOUSE_PASSWORD>"
    assert invocation.display_env()["API_TOKEN"] == "<secret from k8s api/token>"
    assert set(invocation.secret_env) == {"DB_PASSWORD", "API_TOKEN"}
    with pytest.raises(
        FloeError, match=r"unknown param tabel for workflow 'w'; its jobs declare: day, full, limit, table"
    ):
        render_plan(spec, date(2024, 1, 2), params_override={"tabel": "x"})


def test_order_is_topological_with_ties_by_name() -> None:
    text = """\
workflow:
  name: w
  jobs:
    - job: {name: z_last, image: a/b:1}
      depends_on: [m_mid, b_second]
    - job: {name: m_mid, image: a/b:1}
      depends_on: [c_root]
    - job: {name: c_root, image: a/b:1}
    - job: {name: b_second, image: a/b:1}
    - job: {name: a_first, image: a/b:1}
"""
    plan = render_plan(load_workflow_text(text, "w.yaml"), datetime(2024, 1, 2, 10, tzinfo=UTC))
    assert [i.job for i in plan] == ["a_first", "b_second", "c_root", "m_mid", "z_last"]
    assert plan[0].context.kind == "manual" and plan[0].context.execution_date == "2024-01-02T10:00:00+00:00"


def test_render_plan_refuses_what_no_orchestrator_would_run() -> None:
    daily = _workflow("name: j\nimage: a/b:1\n")
    with pytest.raises(FloeError, match="is not a tick of cron '0 2 \\* \\* \\*'"):
        render_plan(daily, datetime(2024, 1, 2, 3))
    with pytest.raises(FloeError, match="scheduled by cron: runs have no trigger file"):
        render_plan(daily, date(2024, 1, 2), trigger_file="x.csv")
    manual = _workflow(
        "name: j\nimage: a/b:1\nargs: ['{% if prev_execution_date is defined %}x{% endif %}']\n", ""
    )
    assert render_plan(manual, date(2024, 1, 2))[0].argv == [""]
    # a spec built in Python skips the loader's checks: rendering still fails with a floe error
    unchecked = WorkflowSpec(
        name="w",
        jobs=[JobEntry(job=JobSpec(name="j", image="a/b:1", args=["{{ next_execution_date }}"]))],
    )
    with pytest.raises(TemplateError, match=r"^w\.j\.args\[0\]: next_execution_date is not defined here"):
        render_plan(unchecked, date(2024, 1, 2))
    cyclic = WorkflowSpec(
        name="w",
        jobs=[
            JobEntry(job=JobSpec(name="a", image="a/b:1"), depends_on=["b"]),
            JobEntry(job=JobSpec(name="b", image="a/b:1"), depends_on=["a"]),
        ],
    )
    with pytest.raises(FloeError, match=r"workflow 'w': depends_on has a cycle: a -> b -> a"):
        render_plan(cyclic, date(2024, 1, 2))


def test_event_workflow_plan() -> None:
    spec = _workflow(
        "name: j\nimage: a/b:1\nargs: ['{{ trigger_file }}', '{{ ds }}']\n",
        '{trigger: file_arrival, source: landing/, pattern: "*.csv"}',
    )
    (invocation,) = render_plan(spec, datetime(2024, 1, 2, 10, 15, tzinfo=UTC), trigger_file="landing/a.csv")
    assert invocation.argv == ["landing/a.csv", "2024-01-02"]
    assert invocation.context.kind == "event"


@pytest.mark.parametrize(
    ("policy", "delays"),
    [
        ({"max_attempts": 1}, []),
        ({"max_attempts": 3, "delay": "5m"}, [300.0, 300.0]),
        ({"max_attempts": 5, "delay": "1m", "exponential_backoff": True}, [60.0, 120.0, 240.0, 480.0]),
        (
            {
                "max_attempts": 5,
                "delay": "1m",
                "exponential_backoff": True,
                "backoff_multiplier": 3,
                "max_delay": "10m",
            },
            [60.0, 180.0, 540.0, 600.0],
        ),
        (
            {"max_attempts": 4, "delay": "10s", "exponential_backoff": True, "backoff_multiplier": 1.5},
            [10.0, 15.0, 22.5],
        ),
        ({"max_attempts": 4, "delay": "2m", "max_delay": "2m"}, [120.0, 120.0, 120.0]),
    ],
)
def test_retry_delays(policy: dict[str, object], delays: list[float]) -> None:
    assert RetryPolicy.model_validate(policy).delays() == delays


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"max_attempts": 3}, "`delay` is required when max_attempts > 1"),
        (
            {"max_attempts": 3, "delay": "1m", "backoff_multiplier": 2},
            "backoff_multiplier needs exponential_backoff: true",
        ),
        ({"max_attempts": 3, "delay": "5m", "max_delay": "1m"}, "max_delay '1m' is shorter than delay '5m'"),
        ({"max_attempts": 0}, "greater than or equal to 1"),
    ],
)
def test_retry_policy_errors(policy: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RetryPolicy.model_validate(policy)
