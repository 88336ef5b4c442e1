"""The JSON Schema of floe.yaml, for editors (`floe schema -o floe.schema.json`).

floe.yaml may hold `${VAR:default}` anywhere, so every non-string scalar in the schema (integers, numbers,
booleans, fixed choices) also accepts a string that is one `${...}` reference; otherwise an editor would
flag `threads: ${THREADS:4}`, which floe accepts.
"""

from __future__ import annotations

from floe_core.spec import FloeSpec

JsonSchema = dict[str, object]
DIALECT = "https://json-schema.org/draft/2020-12/schema"
REFERENCE_PATTERN = r"^\$\{[A-Za-z_][A-Za-z0-9_]*(:[^}]*)?\}$"
_TYPED = {"integer", "number", "boolean"}
_ANNOTATIONS = ("title", "description", "default", "examples")


_SCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties", "dependentSchemas")


def _accepts_reference(node: JsonSchema) -> bool:
    kind = node.get("type")
    return (isinstance(kind, str) and kind in _TYPED) or "enum" in node or "const" in node


def _allow_references(node: object) -> object:
    """Walk schema nodes only: the maps under `properties`/`$defs` hold schemas but are not schemas."""
    if isinstance(node, list):
        return [_allow_references(item) for item in node]
    if not isinstance(node, dict):
        return node
    walked: JsonSchema = {}
    for key, value in node.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            walked[key] = {name: _allow_references(sub) for name, sub in value.items()}
        else:
            walked[key] = _allow_references(value)
    if not _accepts_reference(walked):
        return walked
    outer = {k: walked.pop(k) for k in _ANNOTATIONS if k in walked}
    reference = {"type": "string", "pattern": REFERENCE_PATTERN, "description": "${VAR} or ${VAR:default}"}
    return {**outer, "anyOf": [walked, reference]}


def spec_json_schema() -> JsonSchema:
    """FloeSpec's JSON Schema (draft 2020-12), tolerant of `${...}` references in typed fields."""
    schema = FloeSpec.model_json_schema()
    walked = _allow_references(schema)
    assert isinstance(walked, dict)
    return {"$schema": DIALECT, "title": "floe.yaml", **{k: v for k, v in walked.items() if k != "title"}}
