"""OpenLineage datasets for dbt nodes: names per the naming spec (as the active target defines them), schema,
datasource, classification tags."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from floe_core.artifacts import ActiveTarget
from openlineage.client.event_v2 import InputDataset, OutputDataset
from openlineage.client.facet_v2 import DatasetFacet, InputDatasetFacet

from floe_dagster.observability.lineage import facets
from floe_dagster.observability.lineage.column_lineage import ColumnSource, Relation, column_lineage
from floe_dagster.observability.lineage.dbt_nodes import DbtManifestView, DbtNode


@dataclass(frozen=True)
class DatasetFactory:
    target: ActiveTarget  # the warehouse the dbt nodes live in: namespace, naming, dialect
    classifications: Mapping[str, Mapping[str, str]]  # model/table name -> column -> classification

    def name_of(self, node: DbtNode) -> str:
        return self.target.dataset_name(node.database, node.schema, node.identifier)

    def dataset_facets(self, node: DbtNode) -> dict[str, DatasetFacet]:
        out: dict[str, DatasetFacet] = {"dataSource": facets.datasource(self.target.lineage_namespace)}
        if node.columns:
            out["schema"] = facets.schema(node.columns)
        classes = self.classifications.get(node.name) or self.classifications.get(node.identifier)
        if classes:
            out["tags"] = facets.classifications(classes)
        return out

    def input(
        self, node: DbtNode, input_facets: Mapping[str, InputDatasetFacet] | None = None
    ) -> InputDataset:
        return InputDataset(
            namespace=self.target.lineage_namespace,
            name=self.name_of(node),
            facets=self.dataset_facets(node),
            inputFacets=dict(input_facets or {}),
        )

    def output(
        self,
        node: DbtNode,
        sql: str | None,
        upstream: Sequence[DbtNode],
        lineage: Mapping[str, Sequence[ColumnSource]] | None = None,  # precomputed for this sql
    ) -> OutputDataset:
        dataset_facets = self.dataset_facets(node)
        if sql:
            if lineage is None:
                lineage = self.column_lineage(sql, upstream)
            if lineage:
                dataset_facets["columnLineage"] = facets.column_lineage(lineage)
        return OutputDataset(
            namespace=self.target.lineage_namespace, name=self.name_of(node), facets=dataset_facets
        )

    def column_lineage(self, sql: str, upstream: Sequence[DbtNode]) -> dict[str, list[ColumnSource]]:
        return column_lineage(sql, self.target.sql_dialect, [self._relation(n) for n in upstream])

    def inputs_of(self, view: DbtManifestView, node: DbtNode) -> list[InputDataset]:
        return [self.input(n) for n in view.upstream_relations(node.unique_id)]

    def _relation(self, node: DbtNode) -> Relation:
        return Relation(
            database=node.database,
            schema=node.schema,
            table=node.identifier,
            namespace=self.target.lineage_namespace,
            name=self.name_of(node),
            columns={c.name: c.data_type or "" for c in node.columns},
        )
