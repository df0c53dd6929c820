"""execution.Assert: failed conditions are logged one by one, then the task fails with their count."""

from __future__ import annotations

import pytest

from engine.memory.runner import InMemoryRunner
from engine.model.execution import Execution

FLOW = """
id: checks
namespace: demo
tasks:
  - id: before
    type: io.kestra.plugin.core.debug.Return
    format: xyz
  - id: check
    type: io.kestra.plugin.core.execution.Assert
    errorMessage: "value was {{ outputs.before.value }}"
    conditions:
      - "{{ 42 == 42 }}"
      - "{{ outputs.before.value == 'abc' }}"
      - "{{ outputs.missing.value == 1 }}"
"""


def run(source: str) -> tuple[InMemoryRunner, Execution]:
    runner = InMemoryRunner()
    runner.deploy(source)
    return runner, runner.run("demo", "checks")


def errors(runner: InMemoryRunner, execution: Execution) -> list[str]:
    return [e.message for e in runner.services.executions.logs(execution.id) if e.level == "ERROR"]


def test_each_failed_condition_is_logged_then_the_task_fails() -> None:
    runner, execution = run(FLOW)
    assert execution.state.current == "FAILED"
    logged = errors(runner, execution)
    assert "Assertion `{{ outputs.before.value == 'abc' }}` failed!" in logged
    assert any(
        m.startswith("Assertion `{{ outputs.missing.value == 1 }}` failed, failed to render `")
        for m in logged
    )
    assert not any("42 == 42" in m for m in logged)
    assert "2 assertions failed!\nvalue was xyz" in logged


def test_a_single_failure_is_singular_and_has_no_message_without_errorMessage() -> None:
    runner, execution = run(
        FLOW.replace("outputs.missing.value == 1", "true").replace("    errorMessage", "    #")
    )
    assert "1 assertion failed!" in errors(runner, execution)


@pytest.mark.parametrize("conditions", ['["{{ 1 == 1 }}", " true "]', "[]"])
def test_conditions_that_hold_succeed(conditions: str) -> None:
    source = FLOW.split("    conditions:", maxsplit=1)[0] + f"    conditions: {conditions}\n"
    _, execution = run(source)
    assert execution.state.current == "SUCCESS"
