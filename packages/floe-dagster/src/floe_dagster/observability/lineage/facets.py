"""Standard OpenLineage facets floe attaches, built with openlineage-python's typed v2 classes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version

from openlineage.client.facet_v2 import (
    DatasetFacet,
    column_lineage_dataset,
    data_quality_assertions_dataset,
    datasource_dataset,
    error_message_run,
    job_type_job,
    parent_run,
    processing_engine_run,
    schema_dataset,
    set_producer,
    sql_job,
    tags_dataset,
    tags_run,
)

from floe_dagster.observability.lineage.column_lineage import ColumnSource
from floe_dagster.observability.lineage.dbt_nodes import DbtColumn

PRODUCER = "https://github.com/floe-data/floe/tree/main/packages/floe-dagster"
set_producer(PRODUCER)  # every facet's _producer names floe, not the client library


def _version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "unknown"


def schema(columns: Sequence[DbtColumn]) -> schema_dataset.SchemaDatasetFacet:
    return schema_dataset.SchemaDatasetFacet(
        fields=[
            schema_dataset.SchemaDatasetFacetFields(
                name=c.name, type=c.data_type or None, description=c.description or None, ordinal_position=i
            )
            for i, c in enumerate(columns, start=1)
        ]
    )


def datasource(namespace: str) -> datasource_dataset.DatasourceDatasetFacet:
    return datasource_dataset.DatasourceDatasetFacet(name=namespace, uri=namespace)


def classifications(by_column: Mapping[str, str]) -> tags_dataset.TagsDatasetFacet:
    """floe.yaml governance classifications as field-level tags (key `classification`, e.g. value `pii`)."""
    return tags_dataset.TagsDatasetFacet(
        tags=[
            tags_dataset.TagsDatasetFacetFields(key="classification", value=cls, source="FLOE", field=col)
            for col, cls in sorted(by_column.items())
        ]
    )


def column_lineage(
    by_output: Mapping[str, Sequence[ColumnSource]],
) -> column_lineage_dataset.ColumnLineageDatasetFacet:
    return column_lineage_dataset.ColumnLineageDatasetFacet(
        fields={
            out: column_lineage_dataset.Fields(
                inputFields=[
                    column_lineage_dataset.InputField(
                        namespace=s.namespace,
                        name=s.name,
                        field=s.field,
                        transformations=[
                            column_lineage_dataset.Transformation(type="DIRECT", subtype=s.subtype)
                        ],
                    )
                    for s in sources
                ]
            )
            for out, sources in by_output.items()
        }
    )


def assertions(
    results: Sequence[tuple[str, bool, str | None]],
) -> data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet:
    """(assertion name, success, column) per dbt test result."""
    return data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
        assertions=[
            data_quality_assertions_dataset.Assertion(assertion=name, success=ok, column=col)
            for name, ok, col in results
        ]
    )


def sql(query: str, dialect: str | None) -> sql_job.SQLJobFacet:
    return sql_job.SQLJobFacet(query=query, dialect=dialect)


def job_type(integration: str, kind: str) -> job_type_job.JobTypeJobFacet:
    return job_type_job.JobTypeJobFacet(processingType="BATCH", integration=integration, jobType=kind)


def parent(namespace: str, job_name: str, run_id: str) -> parent_run.ParentRunFacet:
    """The Dagster run as parent (and root) of each materialization's run."""
    return parent_run.ParentRunFacet(
        run=parent_run.Run(runId=run_id),
        job=parent_run.Job(namespace=namespace, name=job_name),
        root=parent_run.Root(
            run=parent_run.RootRun(runId=run_id), job=parent_run.RootJob(namespace=namespace, name=job_name)
        ),
    )


def processing_engine() -> processing_engine_run.ProcessingEngineRunFacet:
    return processing_engine_run.ProcessingEngineRunFacet(
        version=_version("dagster"), name="dagster", openlineageAdapterVersion=_version("floe-data-dagster")
    )


def tags(pairs: Mapping[str, str]) -> tags_run.TagsRunFacet:
    return tags_run.TagsRunFacet(
        tags=[tags_run.TagsRunFacetFields(key=k, value=v, source="FLOE") for k, v in pairs.items() if v]
    )


def error(message: str, language: str, stack: str | None = None) -> error_message_run.ErrorMessageRunFacet:
    return error_message_run.ErrorMessageRunFacet(
        message=message, programmingLanguage=language, stackTrace=stack
    )


__all__ = ["DatasetFacet"]
