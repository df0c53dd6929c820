"""Input parsing and validation messages, in Kestra 1.3's wording (spec part 1 §6)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.creation.inputs import InvalidInputsError, parse_input, resolve_declared
from engine.memory.runner import InMemoryRunner
from engine.model.serde import execution_to_json
from engine.task_api import Input


def declare(**fields: Any) -> Input:
    return Input.model_validate({"id": "x", **fields})


def refusal(spec: Input, value: Any) -> str:
    with pytest.raises(InvalidInputsError) as caught:
        resolve_declared([spec], {spec.id: value})
    return str(caught.value)


@pytest.mark.parametrize(
    ("fields", "value", "cause"),
    [
        ({"type": "STRING", "validator": r"A\d+"}, "B1", r"it must match the pattern `A\d+`"),
        ({"type": "INT", "min": 10}, "5", "it must be more than `10`"),
        ({"type": "INT", "max": 20}, 21, "it must be less than `20`"),
        ({"type": "INT"}, "1.5", 'For input string: "1.5"'),
        ({"type": "FLOAT", "max": 0.5}, "0.9", "it must be less than `0.5`"),
        # Kestra prints the bound as a Java Float.
        ({"type": "FLOAT", "min": 10}, "1", "it must be more than `10.0`"),
        ({"type": "DURATION", "min": "PT10S"}, "PT5S", "It must be more than `PT10S`"),
        ({"type": "DATE", "after": "2023-01-01"}, "2022-12-31", "it must be after `2023-01-01`"),
        # LocalTime.toString leaves out zero seconds.
        ({"type": "TIME", "after": "01:00:00"}, "00:00:01", "it must be after `01:00`"),
        ({"type": "TIME", "before": "11:59:59"}, "12:00", "it must be before `11:59:59`"),
        (
            {"type": "DATETIME", "before": "2023-12-31T23:59:59+00:00"},
            "2024-01-01T00:00:00Z",
            "it must be before `2023-12-31T23:59:59Z`",
        ),
        ({"type": "ENUM", "values": ["A", "B"]}, "C", "it must match the values `[A, B]`"),
        ({"type": "SELECT", "values": ["A", "B"]}, "C", "it must match the values `[A, B]`"),
        (
            {"type": "ARRAY", "itemType": "INT"},
            '["1", "s1"]',
            "Unable to parse array element as `INT` on `s1`",
        ),
        ({"type": "URI"}, "justastring", "Invalid URI format."),
        ({"type": "EMAIL"}, "nobody", "The input must be a valid email"),
        # A SECRET's pattern violation names the input again, as Kestra's bean validation does.
        ({"type": "SECRET", "validator": "[0-9]+"}, "abc", "x: it must match the pattern `[0-9]+`"),
        (
            {"type": "FILE", "allowedFileExtensions": [".csv", ".txt"]},
            "kestra:///demo/f/executions/e/inputs/x/report.pdf",
            "File type not allowed. Accepted extensions: .csv, .txt",
        ),
        (
            {"type": "FILE", "allowedFileExtensions": [".csv"]},
            "kestra:///demo/f/executions/e/inputs/x/no-extension",
            "File type not allowed. Accepted extensions: .csv",
        ),
    ],
)
def test_a_refused_value_names_the_input_and_the_cause(
    fields: dict[str, Any], value: Any, cause: str
) -> None:
    assert refusal(declare(**fields), value) == f"Invalid value for input `x`. Cause: {cause}"


@pytest.mark.parametrize(
    ("allowed", "uri"),
    [
        ([".csv", ".txt"], "kestra:///demo/f/executions/e/inputs/x/data.csv"),
        ([".csv"], "nsfile:///reports/DATA.CSV"),
        # Where Kestra would refuse every file: an entry without its dot, or in capitals.
        (["csv"], "kestra:///demo/f/executions/e/inputs/x/data.csv"),
        ([".CSV"], "kestra:///demo/f/executions/e/inputs/x/data.csv"),
        (None, "kestra:///demo/f/executions/e/inputs/x/data.bin"),
    ],
)
def test_a_file_with_an_allowed_extension_is_taken(allowed: list[str] | None, uri: str) -> None:
    spec = declare(type="FILE", allowedFileExtensions=allowed)
    assert resolve_declared([spec], {"x": uri}) == {"x": uri}


def test_every_violation_of_an_input_is_reported_one_per_line() -> None:
    spec = declare(type="MULTISELECT", values=["A", "B", "C"], options=["X", "Y"])
    assert refusal(spec, ["F", "A", "H"]).splitlines() == [
        "Invalid value for input `x`. Cause: you can't define both `values` and `options`",
        "Invalid value for input `x`. Cause: value `F` doesn't match the values `[A, B, C]`",
        "Invalid value for input `x`. Cause: value `H` doesn't match the values `[A, B, C]`",
    ]


def test_every_refused_input_is_reported_and_a_missing_one_has_kestras_wording() -> None:
    declared = [
        Input.model_validate({"id": "name", "type": "STRING"}),
        Input.model_validate({"id": "age", "type": "INT", "min": 18}),
    ]
    with pytest.raises(InvalidInputsError) as caught:
        resolve_declared(declared, {"age": 3})
    assert [str(e) for e in caught.value.errors] == [
        "Missing required input:name",
        "Invalid value for input `age`. Cause: it must be more than `18`",
    ]
    assert str(caught.value).splitlines() == [str(e) for e in caught.value.errors]


def test_valid_values_are_typed_and_nested_by_dots() -> None:
    declared = [
        Input.model_validate({"id": "a.b", "type": "INT", "min": 1, "max": 3}),
        Input.model_validate({"id": "s", "type": "SECRET", "validator": "[a-z]+"}),
        Input.model_validate({"id": "m", "type": "MULTISELECT", "options": ["X", "Y"]}),
        Input.model_validate({"id": "t", "type": "TIME", "after": "01:00"}),
    ]
    resolved = resolve_declared(declared, {"a.b": "2", "s": "abc", "m": '["Y"]', "t": "01:00:01"})
    assert resolved == {"a": {"b": 2}, "s": "abc", "m": ["Y"], "t": "01:00:01"}


def test_parse_input_raises_one_error_with_all_violations() -> None:
    spec = declare(type="MULTISELECT", values=["A"], options=["A"])
    with pytest.raises(ValueError, match=r"(?s)both `values` and `options`.*value `B`"):
        parse_input(spec, ["B"])


def test_an_optional_input_without_value_is_null_and_renders_empty() -> None:
    runner = InMemoryRunner()
    runner.deploy(
        "id: opt\nnamespace: demo\ninputs:\n  - id: maybe\n    type: STRING\n    required: false\n"
        "  - id: deep.maybe\n    type: INT\n    required: false\n"
        "tasks:\n  - id: show\n    type: io.kestra.plugin.core.debug.Return\n"
        "    format: \"[{{ inputs.maybe }}|{{ inputs.maybe ?? 'none' }}]\"\n"
    )
    execution = runner.run("demo", "opt")
    assert execution_to_json(execution)["inputs"] == {"maybe": None, "deep": {"maybe": None}}
    assert [r.outputs for r in execution.task_runs] == [{"value": "[|none]"}]


def test_a_flow_output_of_the_wrong_type_fails_the_execution_and_says_output() -> None:
    runner = InMemoryRunner()
    runner.deploy(
        "id: out\nnamespace: demo\n"
        "tasks:\n  - {id: r, type: io.kestra.plugin.core.debug.Return, format: abc}\n"
        "outputs:\n  - {id: n, type: INT, value: '{{ outputs.r.value }}'}\n"
    )
    execution = runner.run("demo", "out")
    assert execution.state.current == "FAILED"
    assert execution.outputs is None
    logs = [entry.message for entry in runner.services.executions.logs(execution.id)]
    assert any('Invalid value for output `n`. Cause: For input string: "abc"' in line for line in logs), logs
