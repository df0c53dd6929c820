"""The JSON Schema of the flow format, generated from the models, for editors (completion, checks).

Pydantic gives the structure; each task's `type` becomes the list of names that select it, so an editor
can offer the task types and, once one is chosen, its properties."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from engine.flow.model import Flow
from engine.task_api.registry import type_names

SCHEMA_ID = "https://kite.dev/schemas/flow.json"


def flow_json_schema() -> dict[str, Any]:
    schema: dict[str, Any] = TypeAdapter(Flow).json_schema(by_alias=True)
    definitions = schema.get("$defs", {})
    by_title = {definition.get("title"): definition for definition in definitions.values()}
    for cls, names in type_names().items():
        definition = by_title.get(cls.__name__)
        if definition is not None and "type" in definition.get("properties", {}):
            definition["properties"]["type"] = {"enum": names, "title": "Type"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": "Kite flow (Kestra's flow format)",
    }
