"""How trace and span ids are written (lowercase hex, as W3C trace context and OTLP JSON show them)."""

from __future__ import annotations


def format_trace_id(value: int) -> str:
    return format(value, "032x")


def format_span_id(value: int) -> str:
    return format(value, "016x")
