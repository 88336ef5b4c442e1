"""floe.yaml's `workflows.executor` picks each workflow job's Dagster executor (floe_dagster.workflows.build);
the celery one is run for real with workers in test_celery_executor.py."""

from __future__ import annotations

from dagster import in_process_executor
from dagster_celery import celery_executor
from floe_core.workflows import ExecutorConfig
from floe_dagster.workflows.build import executor_definition


def test_each_executor_type_maps_to_its_dagster_executor() -> None:
    assert executor_definition(ExecutorConfig(type="in_process")) is in_process_executor
    # the default: Dagster's own (multiprocess, a run may still ask for in_process)
    assert executor_definition(ExecutorConfig()) is None
    assert executor_definition(ExecutorConfig(type="multiprocess")) is None
    bounded = executor_definition(ExecutorConfig.model_validate({"multiprocess": {"max_concurrent": 2}}))
    assert bounded.name == "floe_multiprocess_executor"
    celery = executor_definition(ExecutorConfig(type="celery"))
    assert celery.name == "floe_celery_executor"
    # dagster-celery's own executor, its settings fixed by floe.yaml
    assert celery.executor_creation_fn is celery_executor.executor_creation_fn
