"""The dbt project as Dagster assets: translator, specs and their cache, the multi-assets, the dbt step."""
