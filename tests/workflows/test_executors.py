"""floe.yaml's `workflows.executor` picks each workflow job's Dagster executor (floe_dagster.workflows.build);
the celery one is run for real with workers in test_celery_executor.py."""

from __future__ import annotations

from dagster import ExecutorDefinition, JobDefinition, in_process_executor
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


K8S = {
    "type": "k8s",
    "k8s": {
        "job_namespace": "floe",
        "image_pull_policy": "IfNotPresent",
        "max_concurrent": 4,
        "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}},
        "step_k8s_config": {"container_config": {"env": [{"name": "FLOE_ENV", "value": "prod"}]}},
    },
}


def _job_with(executor: ExecutorDefinition | None) -> JobDefinition:
    from dagster import job, op

    @op
    def step() -> None:
        pass

    @job(executor_def=executor)
    def k8s_job() -> None:
        step()

    return k8s_job


def test_k8s_executor_is_dagster_k8s_with_the_rendered_config_accepted_by_dagster() -> None:
    from dagster import validate_run_config
    from dagster_k8s import k8s_job_executor
    from floe_dagster.workflows.build import k8s_executor_config

    config = ExecutorConfig.model_validate(K8S)
    rendered = k8s_executor_config(config)
    assert rendered["job_namespace"] == "floe"
    assert rendered["image_pull_policy"] == "IfNotPresent"
    assert rendered["resources"]["requests"] == {"cpu": "500m", "memory": "1Gi"}
    assert rendered["step_k8s_config"]["container_config"]["env"][0]["name"] == "FLOE_ENV"
    executor = executor_definition(config)
    assert executor.name == "floe_k8s_executor"
    assert executor.executor_creation_fn is k8s_job_executor.executor_creation_fn
    # Dagster's public validation: a job with floe's executor validates; the rendered settings, given as run
    # config to dagster-k8s's own k8s_job_executor, pass its schema as they are
    validate_run_config(_job_with(executor), {})
    validated = validate_run_config(_job_with(k8s_job_executor), {"execution": {"config": rendered}})
    assert validated["execution"]["k8s"]["job_namespace"] == "floe"
    assert validated["execution"]["k8s"]["resources"]["limits"] == {"memory": "2Gi"}


def test_k8s_config_that_dagster_k8s_rejects_fails_validation() -> None:
    import pytest
    from dagster import DagsterInvalidConfigError, validate_run_config
    from floe_dagster.workflows.build import k8s_executor_config

    bad = ExecutorConfig.model_validate({"type": "k8s", "k8s": {"step_k8s_config": {"no_such_key": {}}}})
    assert k8s_executor_config(bad) == {"step_k8s_config": {"no_such_key": {}}}
    from dagster_k8s import k8s_job_executor

    with pytest.raises(DagsterInvalidConfigError):
        validate_run_config(_job_with(k8s_job_executor), {"execution": {"config": k8s_executor_config(bad)}})


def test_orchestration_executor_is_read_from_floe_yaml_and_workflows_executor_still_works() -> None:
    from floe_core.spec.orchestration import OrchestrationConfig
    from floe_core.workflows.config import WorkflowsConfig

    assert OrchestrationConfig().executor is None  # default: Dagster's multiprocess, unchanged
    orch = OrchestrationConfig.model_validate({"executor": K8S})
    assert orch.executor is not None and orch.executor.type == "k8s"
    assert WorkflowsConfig.model_validate({"executor": {"type": "celery"}}).executor.type == "celery"


def test_definitions_executor_reaches_asset_jobs_without_their_own() -> None:
    """What floe_dagster.definitions relies on for orchestration.executor: Dagster gives Definitions'
    executor to every job (asset jobs included) that does not set one."""
    from dagster import Definitions, asset, define_asset_job

    @asset
    def one() -> int:
        return 1

    executor = executor_definition(ExecutorConfig.model_validate(K8S))
    defs = Definitions(
        assets=[one],
        jobs=[define_asset_job("batch"), _job_with(in_process_executor)],
        executor=executor,
    )
    assert defs.resolve_job_def("batch").executor_def.name == "floe_k8s_executor"
    assert defs.resolve_job_def("k8s_job").executor_def is in_process_executor  # its own wins
