"""Downstream triggers and the approval gate (seed 003): the spec, the source event, the payloads."""

from floe_core.triggers.event import SourceEvent
from floe_core.triggers.loading import load_triggers, parse_triggers
from floe_core.triggers.spec import TriggerConfig, UpstreamTriggers

__all__ = ["SourceEvent", "TriggerConfig", "UpstreamTriggers", "load_triggers", "parse_triggers"]
