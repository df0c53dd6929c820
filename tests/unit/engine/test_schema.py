"""The published JSON Schema of the flow format stays what the models generate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from engine.flow.schema import flow_json_schema
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
