"""The contract's own examples are valid as written (tests/workflows/contract/ holds verbatim copies)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from floe_core.loader import load_spec
from floe_core.workflows import (
    CronSchedule,
    EmailNotification,
    EventSchedule,
    IntervalSchedule,
    JobDocument,
    RetryPolicy,
    SlackNotification,
    WorkflowValidationError,
    load_workflow_text,
    load_workflows,
)
from floe_core.workflows.notifications import Notifications
from floe_core.workflows.schedules import Schedule
from floe_core.yaml_source import load_yaml
from pydantic import TypeAdapter

MakeProject = Callable[..., Path]

Example = Callable[[str], str]


def test_job_3_2_parses_unchanged(example: Example) -> None:
    job = JobDocument.model_validate(load_yaml(example("job_3_2.yaml")).data).job
    assert job.name == "daily_sales_ingest"
    assert job.image == "lakehouse/ingest:1.2.0"
    assert job.command == ["python", "ingest.py"]
    assert job.args == ["--source", "sales", "--date", "{{ execution_date }}"]
    assert job.params == {
        "execution_date": "{{ ds }}",
        "source_table": "raw.sales",
        "target_table": "iceberg.sales.orders",
    }
    assert job.env["ICEBERG_CATALOG"] == "iceberg"
    assert job.resources is not None
    assert (job.resources.cpu_cores, job.resources.cpu_millicores) == (Decimal(1), 1000)
    assert job.resources.nano_cpus == 1_000_000_000
    assert job.resources.memory_bytes == 2 * 1024**3
    assert (job.retry.max_attempts, job.retry.delay, job.retry.delays()) == (3, "5m", [300.0, 300.0])


def test_workflow_4_2_parses_unchanged(example: Example) -> None:
    spec = load_workflow_text(example("workflow_4_2.yaml"), "workflow_4_2.yaml")
    assert spec.name == "daily_sales_pipeline"
    assert isinstance(spec.schedule, CronSchedule)
    assert (spec.schedule.cron, spec.schedule.timezone, spec.schedule.start_date) == (
        "0 2 * * *",
        "UTC",
        "2024-01-01",
    )
    assert [(e.name, e.depends_on) for e in spec.jobs] == [
        ("extract_sales", []),
        ("transform_sales", ["extract_sales"]),
        ("generate_report", ["transform_sales"]),
    ]
    assert spec.on_failure == "stop_downstream"
    assert spec.job("transform_sales").image == "lakehouse/transform:1.0"


def test_workflow_4_2_in_the_git_layout_records_its_source(
    make_project: MakeProject, example: Example
) -> None:
    text = example("workflow_4_2.yaml")
    config = make_project({"workflows/daily_sales_pipeline/workflow.yaml": text})
    workflows = load_workflows(load_spec(config), config)
    loaded = workflows.get("daily_sales_pipeline")
    assert loaded.origin == "folder"
    assert [s.path for s in loaded.sources] == ["workflows/daily_sales_pipeline/workflow.yaml"]
    import hashlib

    assert loaded.sources[0].sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert workflows.root == str(Path.cwd())


def test_diamond_8_1_with_jobs_by_name_loads_the_job_files(
    make_project: MakeProject, diamond_files: dict[str, str]
) -> None:
    config = make_project(diamond_files)
    loaded = load_workflows(load_spec(config), config).get("diamond")
    assert [(e.name, e.depends_on) for e in loaded.spec.jobs] == [
        ("job_a", []),
        ("job_b", ["job_a"]),
        ("job_c", ["job_a"]),
        ("job_d", ["job_b", "job_c"]),
    ]
    assert loaded.spec.job("job_c").command == ["sh", "-c", "echo job_c {{ ds }}"]
    assert [s.path for s in loaded.sources] == [
        "workflows/diamond/workflow.yaml",
        *(f"workflows/diamond/jobs/job_{x}.yaml" for x in "abcd"),
    ]


def test_job_file_by_ref_and_json_workflow(make_project: MakeProject, example: Example) -> None:
    workflow = """{
\t"workflow": {
\t\t"name": "ingest",
\t\t"jobs": [{"job": {"ref": "jobs/daily_sales_ingest.yaml"}, "depends_on": []}]
\t}
}
"""
    config = make_project(
        {
            "workflows/ingest/workflow.json": workflow,
            "workflows/ingest/jobs/daily_sales_ingest.yaml": example("job_3_2.yaml"),
        }
    )
    spec = load_workflows(load_spec(config), config).get("ingest").spec
    assert spec.job("daily_sales_ingest").retry.delays() == [300.0, 300.0]


def test_schedules_7_1(example: Example) -> None:
    adapter: TypeAdapter[object] = TypeAdapter(Schedule)
    event = adapter.validate_python(load_yaml(example("schedule_7_1_event.yaml")).data["schedule"])  # type: ignore[index,call-overload]
    assert (
        isinstance(event, EventSchedule) and event.is_s3 and event.source == "s3://lakehouse-dev-raw/sales/"
    )
    # the cron and interval snippets leave out start_date: a partitioned schedule needs one
    for name, kind in (
        ("schedule_7_1_cron.yaml", CronSchedule),
        ("schedule_7_1_interval.yaml", IntervalSchedule),
    ):
        data = load_yaml(example(name)).data["schedule"]  # type: ignore[index,call-overload]
        with pytest.raises(ValueError, match="start_date is required for a cron or interval schedule"):
            adapter.validate_python(data)
        assert isinstance(adapter.validate_python({**data, "start_date": "2024-01-01"}), kind)


def test_interval_is_its_cron() -> None:
    schedule = IntervalSchedule(interval="1h", start_date="2024-01-01")
    assert schedule.cron_expression == "0 * * * *"


def test_retry_9_1_and_notifications_9_2(example: Example) -> None:
    retry = RetryPolicy.model_validate(load_yaml(example("retry_9_1.yaml")).data["retry"])  # type: ignore[index,call-overload]
    assert retry.delays() == [300.0, 600.0]
    notifications = Notifications.model_validate(
        load_yaml(example("notifications_9_2.yaml")).data["notifications"]  # type: ignore[index,call-overload]
    )
    email, slack = notifications.on_failure
    assert isinstance(email, EmailNotification) and email.recipients == ["data-team@company.com"]
    assert isinstance(slack, SlackNotification) and (slack.channel, slack.webhook_url_env) == (
        "#data-alerts",
        None,
    )


def test_cross_workflow_8_2_needs_jobs_and_an_upstream(example: Example) -> None:
    # the contract's §8.2 snippet shows only the dependency: as a whole document it lacks jobs
    with pytest.raises(WorkflowValidationError) as err:
        load_workflow_text(example("workflow_8_2.yaml"), "workflow_8_2.yaml")
    assert [p.render() for p in err.value.problems] == [
        "workflow_8_2.yaml:1: workflow.jobs: missing required key 'jobs'"
    ]
