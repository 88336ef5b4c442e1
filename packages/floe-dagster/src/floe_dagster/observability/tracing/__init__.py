"""OpenTelemetry for floe: settings, the per-process tracer provider, one trace per Dagster run."""
