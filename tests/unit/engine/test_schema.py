"""The published JSON Schema of the flow format stays what the models generate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from engine.flow.schema import flow_json_schema
from engine.task_api.registry import type_names
from infra.cli.main import main

ROOT = Path(__file__).resolve().parents[3]
PUBLISHED = ROOT / "docs" / "kite-flow.schema.json"


def test_the_published_schema_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == flow_json_schema()
    assert json.loads(PUBLISHED.read_text()) == printed, (
        "regenerate: kite schema > docs/kite-flow.schema.json"
    )


def test_every_task_type_of_the_examples_is_offered() -> None:
    schema = flow_json_schema()
    offered = {
        name
        for d in schema["$defs"].values()
        for name in d.get("properties", {}).get("type", {}).get("enum", [])
    }
    assert "io.kestra.plugin.core.flow.Subflow" in offered
    assert "io.kestra.core.tasks.log.Log" in offered  # legacy names complete too
    for path in sorted((ROOT / "examples").glob("*.yaml")):
        flow = yaml.safe_load(path.read_text())
        assert set(flow) <= set(schema["properties"]), path
        assert {task["type"] for task in flow["tasks"]} <= offered, path


def test_every_reference_resolves_and_task_lists_share_one_task_definition() -> None:
    schema = flow_json_schema()
    refs: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                refs.add(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    assert {ref.rpartition("/")[2] for ref in refs} <= set(schema["$defs"])
    assert schema["properties"]["tasks"]["items"] == {"allOf": [{"$ref": "#/$defs/Task"}]}
    assert len(schema["$defs"]["Task"]["oneOf"]) == len(type_names())
