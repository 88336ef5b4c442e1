"""Synthetic dbt projects for the benchmarks: N models with a realistic DAG.

Every model refs 2-4 earlier models (mostly recent ones, so the DAG is deep as well as wide), carries
documented columns, and a share of them have tests. Models are spread over dbt groups so selections such
as `group:g3` resolve to real subsets. Deterministic for a given (n_models, seed).
"""

from __future__ import annotations

import random
import textwrap
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class SyntheticProject:
    root: Path  # folder holding floe.yaml and dbt/
    n_models: int
    n_groups: int

    @property
    def dbt_dir(self) -> Path:
        return self.root / "dbt"


def model_name(i: int) -> str:
    return f"m_{i:05d}"


def _base_sql(i: int) -> str:
    return (
        f"select i as id, 'name_' || i as name, (i * {i % 7 + 1})::double as amount\n"
        f"from range({50 + i % 50}) t(i)\n"
    )


def _ref_sql(parents: list[int]) -> str:
    first, *rest = parents
    joins = "\n".join(
        f"left join {{{{ ref('{model_name(p)}') }}}} p{k} on p{k}.id = p0.id" for k, p in enumerate(rest, 1)
    )
    total = " + ".join(f"coalesce(p{k}.amount, 0)" for k in range(len(parents)))
    return (
        f"select p0.id, p0.name, {total} as amount\nfrom {{{{ ref('{model_name(first)}') }}}} p0\n{joins}\n"
    )


def generate(root: Path, n_models: int, seed: int = 7, tables_every: int = 10) -> SyntheticProject:
    """Write floe.yaml + a dbt project with `n_models` models under `root`."""
    rng = random.Random(seed)
    n_groups = max(1, n_models // 100)
    n_base = max(2, n_models // 10)
    dbt_dir = root / "dbt"
    (dbt_dir / "models").mkdir(parents=True, exist_ok=True)
    groups_yml = {
        "groups": [{"name": f"g{g}", "owner": {"email": f"team{g}@example.com"}} for g in range(n_groups)]
    }
    (dbt_dir / "models" / "groups.yml").write_text(yaml.safe_dump(groups_yml), encoding="utf-8")
    per_group: dict[int, list[dict[str, object]]] = {g: [] for g in range(n_groups)}
    for i in range(n_models):
        group = i * n_groups // n_models
        folder = dbt_dir / "models" / f"g{group}"
        folder.mkdir(exist_ok=True)
        if i < n_base:
            sql = _base_sql(i)
        else:
            window = range(max(0, i - 60), i)
            parents = sorted(set(rng.sample(list(window), k=min(len(window), rng.randint(2, 4)))))
            sql = _ref_sql(parents)
        materialized = "table" if i % tables_every == 0 else "view"
        header = f"{{{{ config(materialized='{materialized}', tags=['t{i % 5}']) }}}}\n"
        (folder / f"{model_name(i)}.sql").write_text(header + sql, encoding="utf-8")
        id_tests: list[str | dict[str, object]] = ["not_null", "unique"] if i % 5 == 0 else []
        per_group[group].append(
            {
                "name": model_name(i),
                "description": f"Synthetic model {i}",
                "columns": [
                    {"name": "id", "description": "identifier", "data_tests": id_tests},
                    {"name": "name", "description": "label"},
                    {"name": "amount", "description": "summed amount"},
                ],
            }
        )
    for g, models in per_group.items():
        (dbt_dir / "models" / f"g{g}" / "schema.yml").write_text(
            yaml.safe_dump({"version": 2, "models": models}, sort_keys=False), encoding="utf-8"
        )
    group_cfg = {f"g{g}": {"+group": f"g{g}"} for g in range(n_groups)}
    project = {
        "name": "synthetic",
        "version": "1.0.0",
        "profile": "synthetic",
        "model-paths": ["models"],
        "models": {"synthetic": group_cfg},
    }
    (dbt_dir / "dbt_project.yml").write_text(yaml.safe_dump(project, sort_keys=False), encoding="utf-8")
    return SyntheticProject(root=root, n_models=n_models, n_groups=n_groups)


def write_floe_yaml(project: SyntheticProject, extra: str = "") -> Path:
    """floe.yaml for the synthetic project (DuckDB); `extra` is appended verbatim (e.g. jobs)."""
    text = textwrap.dedent(
        """\
        name: synthetic
        version: "1.0"
        compute:
          default: dev
          targets:
            dev: {type: duckdb, properties: {path: .floe/bench.duckdb, threads: 4}}
        transforms:
          - type: dbt
            path: dbt
        """
    )
    path = project.root / "floe.yaml"
    path.write_text(text + extra, encoding="utf-8")
    return path
