"""Cross-field checks pydantic cannot express per field, run on the interpolated floe.yaml values.

They work on the raw values (not a FloeSpec) so their problems are reported together with every schema
problem, instead of only after the schema is fixed.
"""

from __future__ import annotations

from floe_core.spec.orchestration.references import reference_problems
from floe_core.suggest import did_you_mean
from floe_core.validation_errors import PathIssue
from floe_core.yaml_source import YamlValue


def _default_target(compute: YamlValue) -> list[PathIssue]:
    if not isinstance(compute, dict):
        return []
    default, targets = compute.get("default"), compute.get("targets")
    if not isinstance(default, str) or not isinstance(targets, dict) or not targets or default in targets:
        return []
    hint = did_you_mean(default, targets)
    defined = ", ".join(targets)
    return [
        PathIssue(
            ("compute", "default"), f"target '{default}' is not defined; defined targets: {defined}{hint}"
        )
    ]


def _single_dbt_transform(transforms: YamlValue) -> list[PathIssue]:
    if not isinstance(transforms, list):
        return []
    dbt = [i for i, t in enumerate(transforms) if isinstance(t, dict) and t.get("type") == "dbt"]
    return [
        PathIssue(
            ("transforms", i),
            f"only one dbt transform is supported per floe.yaml (the first is transforms[{dbt[0]}]);"
            " remove this one or split the project",
        )
        for i in dbt[1:]
    ]


def _orchestration(orchestration: YamlValue) -> list[PathIssue]:
    if not isinstance(orchestration, dict):
        return []
    return [
        PathIssue(("orchestration", *p.loc), p.message, p.value) for p in reference_problems(orchestration)
    ]


def check_references(data: dict[str, YamlValue]) -> list[PathIssue]:
    """Problems with references between and inside sections (e.g. compute.default naming an undefined
    target, a schedule naming an undefined job)."""
    return [
        *_default_target(data.get("compute")),
        *_single_dbt_transform(data.get("transforms")),
        *_orchestration(data.get("orchestration")),
    ]
