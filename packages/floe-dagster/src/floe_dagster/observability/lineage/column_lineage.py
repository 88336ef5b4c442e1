"""Column-level lineage from a model's compiled SQL, with sqlglot (installed with dbt).

Best effort by design: SQL sqlglot cannot resolve (unknown `*`, exotic dialect features) yields no facet
rather than a wrong one. Input tables are matched to the model's upstream datasets by relation name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.lineage import lineage
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import build_scope
from sqlglot.schema import ensure_schema


@dataclass(frozen=True)
class Relation:
    """An upstream table as (database, schema, table), lower-cased for matching, plus its dataset id."""

    database: str | None
    schema: str | None
    table: str
    namespace: str
    name: str
    columns: Mapping[str, str]  # column -> type, for `select *` expansion


@dataclass(frozen=True)
class ColumnSource:
    namespace: str
    name: str
    field: str
    subtype: str  # IDENTITY | TRANSFORMATION | AGGREGATION


def column_lineage(
    sql: str, dialect: str | None, upstream: Sequence[Relation]
) -> dict[str, list[ColumnSource]]:
    """Output column -> the upstream columns it is computed from; {} when the SQL is not analysable.
    `dialect`: sqlglot's name for the warehouse's SQL (the active target's `sql_dialect`)."""
    try:
        tree: Any = sqlglot.parse_one(sql, dialect=dialect)
        schema = _schema(upstream)
        if "*" in tree.named_selects and schema:
            tree = qualify(tree, schema=schema, dialect=dialect)  # expands `select *` from known columns
        outputs = [c for c in tree.named_selects if c != "*"]
        # Qualify and scope the query once for all columns: `lineage()` would otherwise redo both per
        # output column, which made a wide model's COMPLETE cost tens of milliseconds (SC-004 latency).
        sg_schema = ensure_schema(schema, dialect=dialect)
        qualified = qualify(
            tree, dialect=dialect, schema=sg_schema, validate_qualify_columns=False, identify=False
        )
        scope = build_scope(qualified)
        result: dict[str, list[ColumnSource]] = {}
        for column in outputs:
            root = lineage(column, qualified, sg_schema, dialect=dialect, scope=scope)
            subtype = _subtype(root.expression, column)
            sources: dict[tuple[str, str, str], ColumnSource] = {}
            for node in root.walk():
                if node.downstream or not isinstance(node.expression, exp.Table):
                    continue
                rel = _match(node.expression, upstream)
                if rel is None:
                    continue
                field = node.name.split(".")[-1].strip('"`')
                sources[(rel.namespace, rel.name, field)] = ColumnSource(
                    rel.namespace, rel.name, field, subtype
                )
            if sources:
                result[column] = list(sources.values())
        return result
    except Exception:  # sqlglot raises many error types on unsupported SQL: lineage is optional
        return {}


def _subtype(expression: Any, column: str) -> str:
    inner = expression.this if isinstance(expression, exp.Alias) else expression
    if isinstance(inner, exp.Column) and inner.name == column:
        return "IDENTITY"
    if inner.find(exp.AggFunc) is not None:
        return "AGGREGATION"
    return "TRANSFORMATION"


def _match(table: exp.Table, upstream: Sequence[Relation]) -> Relation | None:
    name, db, catalog = table.name.lower(), table.db.lower() or None, table.catalog.lower() or None
    for rel in upstream:
        if rel.table.lower() != name:
            continue
        if db and rel.schema and rel.schema.lower() != db:
            continue
        if catalog and rel.database and rel.database.lower() != catalog:
            continue
        return rel
    return None


def _schema(upstream: Sequence[Relation]) -> dict[str, Any]:
    """sqlglot schema mapping (catalog -> db -> table -> column -> type) for relations with known columns."""
    schema: dict[str, Any] = {}
    for rel in upstream:
        if not rel.columns or not rel.database or not rel.schema:
            continue
        dbs = schema.setdefault(rel.database, {})
        assert isinstance(dbs, dict)
        tables = dbs.setdefault(rel.schema, {})
        tables[rel.table] = {c: (t or "text") for c, t in rel.columns.items()}
    return schema
