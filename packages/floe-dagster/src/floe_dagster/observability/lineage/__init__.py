"""OpenLineage for floe: settings, transports, datasets, facets, the dbt event tap, Python asset wrapping."""
