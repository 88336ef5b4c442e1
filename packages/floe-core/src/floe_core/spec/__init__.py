"""The floe.yaml schema (FloeSpec) and its sections."""

from __future__ import annotations

from pydantic import Field

from floe_core.spec.base import FloeModel
from floe_core.spec.compute import ComputeConfig
from floe_core.spec.governance import GovernanceConfig
from floe_core.spec.observability import ObservabilityConfig
from floe_core.spec.orchestration import OrchestrationConfig
from floe_core.spec.transforms import DbtTransform, Transform
from floe_core.workflows.config import WorkflowsConfig


class TriggersRef(FloeModel):
    """`triggers: {path: triggers.json}`: the downstream-triggers file (JSON as seed 003 writes it, or YAML),
    relative to floe.yaml; read again on every evaluation, so edits apply without a redeploy."""

    path: str = Field(min_length=1)


class FloeSpec(FloeModel):
    """A whole floe.yaml, after `${VAR:default}` interpolation."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$", description="Project name")
    version: str = Field(description="Version of this pipeline definition, e.g. '1.0'")
    compute: ComputeConfig
    transforms: list[Transform] = Field(default_factory=list)
    governance: GovernanceConfig = Field(default_factory=GovernanceConfig)
    observability: ObservabilityConfig = Field(default_factory=ObservabilityConfig)
    orchestration: OrchestrationConfig = Field(default_factory=OrchestrationConfig)
    # container workflows (floe_core.workflows, docs/workflows.md): where specs live, runtime, notifications
    workflows: WorkflowsConfig = Field(default_factory=WorkflowsConfig)
    # downstream triggers (floe_core.triggers, docs/triggers.md): seed 003's workflow_config.json
    triggers: TriggersRef | None = None

    @property
    def dbt_transform(self) -> DbtTransform | None:
        return next((t for t in self.transforms if isinstance(t, DbtTransform)), None)


__all__ = ["FloeSpec"]
