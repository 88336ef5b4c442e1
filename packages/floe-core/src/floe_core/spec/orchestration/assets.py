"""`orchestration.assets`: rules applying partitions, automation, backfill policy, group and tags.

Each rule's `select` holds patterns matched against Python AND dbt asset keys: a key glob (`raw_*`,
`silver/*`, matched on the key written with `/`) or a Dagster selection string (`group:silver`,
`tag:layer=gold`, `key:stg_orders+`, `group:a and not tag:x`). Rules apply in order; later rules override
earlier ones for the attributes they set.
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from floe_core.spec.base import FloeModel
from floe_core.spec.orchestration.automation import AutomationConfig

SELECTION_PREFIXES = ("key:", "group:", "tag:", "kind:", "owner:", "code_location:", "status:", "column:")


def is_selection_string(pattern: str) -> bool:
    """A Dagster selection string rather than a plain key glob."""
    text = pattern.strip()
    return any(p in text for p in SELECTION_PREFIXES) or any(c in text for c in " ()+")


def check_selection_syntax(text: str) -> str:
    """Cheap structural check available without Dagster; the factory parses with Dagster at load."""
    if not text.strip():
        raise ValueError(
            "empty selection: expected a key glob like 'raw_*' or a selection like 'group:silver'"
        )
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            break
    if depth != 0:
        raise ValueError("unbalanced parentheses in selection")
    return text


class BackfillPolicyConfig(FloeModel):
    max_partitions_per_run: int | None = Field(
        default=None, ge=1, description="partitions per run in a backfill; omit for one run for all"
    )


class AssetRule(FloeModel):
    """Attributes for every asset matching any of `select`."""

    select: list[str] = Field(min_length=1, description="key globs or Dagster selection strings")
    partitions: str | None = Field(default=None, description="name of an orchestration.partitions entry")
    automation: AutomationConfig | None = None
    backfill_policy: BackfillPolicyConfig | None = None
    group: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_]+$")
    tags: dict[str, str] = Field(default_factory=dict)

    @field_validator("select", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("select")
    @classmethod
    def _syntax(cls, patterns: list[str]) -> list[str]:
        return [check_selection_syntax(p) for p in patterns]

    @model_validator(mode="after")
    def _does_something(self) -> AssetRule:
        if not (self.partitions or self.automation or self.backfill_policy or self.group or self.tags):
            raise ValueError(
                "asset rule sets nothing: expected at least one of partitions, automation,"
                " backfill_policy, group, tags"
            )
        return self
