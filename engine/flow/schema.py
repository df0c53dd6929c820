"""The JSON Schema of the flow format, generated from the models, for editors (completion, checks).

Pydantic gives the structure; "any task" is one definition, `Task`, a choice of every task type, and each
task's `type` becomes the list of names that select it, so an editor can offer the task types and, once one
is chosen, its properties."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from engine.flow.model import Flow
from engine.task_api.registry import TASK_SCHEMA_REF, type_names

SCHEMA_ID = "https://kite.dev/schemas/flow.json"


def flow_json_schema() -> dict[str, Any]:
    names = type_names()
    models: list[type[BaseModel]] = [Flow, *names]
    refs, schema = models_json_schema([(m, "validation") for m in models], by_alias=True)
    definitions: dict[str, Any] = schema["$defs"]

    def defined(ref: str) -> str:
        return ref.rpartition("/")[2]

    flow = definitions.pop(defined(refs[(Flow, "validation")]["$ref"]))
    definitions[defined(TASK_SCHEMA_REF)] = {"oneOf": [refs[(cls, "validation")] for cls in names]}
    for cls, selecting in names.items():
        properties = definitions[defined(refs[(cls, "validation")]["$ref"])].get("properties", {})
        if "type" in properties:
            properties["type"] = {"enum": selecting, "title": "Type"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **flow,
        "$defs": definitions,
        "title": "Kite flow (Kestra's flow format)",
    }
