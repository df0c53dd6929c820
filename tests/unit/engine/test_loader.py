"""Flow YAML → Flow: every problem at once, with file:line:col and the property path."""

from __future__ import annotations

import re

import pytest

from engine.flow.loader import InvalidFlowError, parse_flow
from engine.tasks.log import Log
from engine.tasks.sequential import Sequential


def problems(source: str) -> list[str]:
    with pytest.raises(InvalidFlowError) as caught:
        parse_flow(source, "f.yaml")
    return [str(p) for p in caught.value.problems]


def test_legacy_alias_selects_the_task_class_and_keeps_the_written_type() -> None:
    flow = parse_flow(
        """
id: ok
namespace: demo
tasks:
  - id: seq
    type: io.kestra.core.tasks.flows.Sequential
    tasks:
      - id: hi
        type: io.kestra.core.tasks.log.Log
        message: hi
"""
    )
    assert isinstance(flow.tasks[0], Sequential)
    assert isinstance(flow.tasks[0].tasks[0], Log)
    # Kestra shows the type as written: `{{ task.type }}`, a subflow's trigger type.
    assert flow.tasks[0].tasks[0].type == "io.kestra.core.tasks.log.Log"


def test_reports_every_error_with_position_and_path() -> None:
    found = problems(
        """id: bad
namespace: Demo
tasks:
  - id: a
    type: io.kestra.plugin.core.log.Log
    mesage: typo
  - id: b
    type: io.kestra.plugin.core.nope.Nope
  - id: c
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - id: d
        type: io.kestra.plugin.core.debug.Return
        format: [1]
"""
    )
    assert "f.yaml:2:12: namespace: String should match pattern '^[a-z0-9][a-z0-9._-]*$'" in found
    assert "f.yaml:6:5: tasks[0].mesage: unknown property" in found
    assert "f.yaml:4:5: tasks[0].message: required property is missing" in found
    assert "f.yaml:7:5: tasks[1]: unknown task type 'io.kestra.plugin.core.nope.Nope'" in found
    assert "f.yaml:14:17: tasks[2].tasks[0].format: Input should be a valid string" in found


def test_duplicate_task_ids_point_at_the_second_one() -> None:
    found = problems(
        """id: dup
namespace: demo
tasks:
  - id: a
    type: io.kestra.plugin.core.log.Log
    message: one
errors:
  - id: a
    type: io.kestra.plugin.core.log.Log
    message: two
"""
    )
    assert found == ["f.yaml:8:5: <flow>: Duplicate task id with name [a]"]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("id: x\nnamespace: demo\ntasks: [\n", "f.yaml:4:1: <flow>: invalid YAML"),
        ("id: x\nid: y\nnamespace: demo\ntasks: []\n", "f.yaml:2:1: id: duplicate key 'id'"),
        ("- just\n- a list\n", "f.yaml:1:1: <flow>: a flow must be a YAML mapping"),
        (
            "id: x\nnamespace: demo\ntasks: []\n",
            "f.yaml:3:8: tasks: List should have at least 1 item after validation, not 0",
        ),
        (
            "id: x\nnamespace: demo\ntasks:\n  - id: s\n"
            "    type: io.kestra.plugin.core.flow.Switch\n    value: a\n",
            "f.yaml:4:5: tasks[0]: No task defined, neither cases or default have any tasks",
        ),
        (
            "id: x\nnamespace: demo\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n"
            "    message: hi\ntriggers:\n  - id: t\n    type: io.kestra.plugin.core.trigger.Shedule\n",
            "f.yaml:8:5: triggers[0]: Invalid type: io.kestra.plugin.core.trigger.Shedule",
        ),
    ],
)
def test_problems(source: str, expected: str) -> None:
    assert any(p.startswith(expected) for p in problems(source)), problems(source)


SEQUENTIAL = "io.kestra.plugin.core.flow.Sequential"


def _nested(depth: int) -> str:
    source, indent = "id: d\nnamespace: demo\ntasks:\n", "  "
    for level in range(depth):
        source += f"{indent}- id: s{level}\n{indent}  type: {SEQUENTIAL}\n{indent}  tasks:\n"
        indent += "    "
    return (
        source + f"{indent}- id: leaf\n{indent}  type: io.kestra.plugin.core.log.Log\n{indent}  message: hi\n"
    )


def _nested_inline(depth: int) -> str:
    """Flow style: deep, yet small."""
    leaf = "{id: leaf, type: io.kestra.plugin.core.log.Log, message: hi}"
    tasks = leaf
    for level in range(depth):
        tasks = f"{{id: s{level}, type: {SEQUENTIAL}, tasks: [{tasks}]}}"
    return f"id: d\nnamespace: demo\ntasks: [{tasks}]\n"


def test_nesting_past_the_bound_is_a_problem_not_a_crash() -> None:
    parse_flow(_nested(60))
    for source in (_nested(200), _nested_inline(2000)):
        with pytest.raises(InvalidFlowError, match="nested deeper than 300 levels"):
            parse_flow(source)


def test_a_yaml_alias_bomb_is_refused_before_it_unfolds() -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 12)]
    source = "\n".join(lines) + "\nid: x\nnamespace: demo\ntasks: []\n"
    with pytest.raises(InvalidFlowError, match="unfolds into more than 100000 values"):
        parse_flow(source)


def test_a_flow_larger_than_a_revision_may_be_is_refused() -> None:
    big = "id: big\nnamespace: demo\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n"
    with pytest.raises(InvalidFlowError, match="the flow is 390 KB: a flow holds at most 300 KB"):
        parse_flow(big + f"    message: {'x' * 400_000}\n", "big.yaml")


@pytest.mark.parametrize(
    ("prop", "value", "message"),
    [
        ("duration", "forever", "tasks[0].duration: Text cannot be parsed to a Duration: forever"),
        ("duration", "PT-5S", "tasks[0].duration: 'PT-5S' is a negative duration"),
        ("timeout", "soon", "tasks[0].timeout: Text cannot be parsed to a Duration: soon"),
    ],
)
def test_a_duration_that_is_not_one_is_refused_when_read(prop: str, value: str, message: str) -> None:
    sleep = "id: a\nnamespace: demo\ntasks:\n  - id: s\n    type: io.kestra.plugin.core.flow.Sleep\n"
    properties = {"duration": "PT1S", prop: value}
    source = sleep + "".join(f"    {k}: {v}\n" for k, v in properties.items())
    with pytest.raises(InvalidFlowError, match=re.escape(message)):
        parse_flow(source, "f.yaml")
    # An expression is checked when the task runs.
    parse_flow(sleep + "    duration: \"{{ inputs.wait ?? 'PT1S' }}\"\n", "f.yaml")


def test_a_template_task_is_refused_with_what_to_use_instead() -> None:
    source = (
        "id: t\nnamespace: demo\ntasks:\n  - id: tpl\n    type: io.kestra.plugin.core.flow.Template\n"
        "    namespace: demo\n    templateId: mine\n"
    )
    with pytest.raises(InvalidFlowError, match="Templates are deprecated in Kestra and Kite keeps none"):
        parse_flow(source)
