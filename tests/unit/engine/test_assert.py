"""execution.Assert: failed conditions are logged one by one, then the task fails."""

from __future__ import annotations

from kite.engine.memory.runner import InMemoryRunner

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


def test_assert_logs_each_failed_condition_and_fails() -> None:
    runner = InMemoryRunner()
    runner.deploy(FLOW)
    execution = runner.run("demo", "checks")
    assert execution.state.current == "FAILED"
    errors = [e.message for e in runner.services.executions.logs(execution.id) if e.level == "ERROR"]
    assert "Assertion `{{ outputs.before.value == 'abc' }}` failed!" in errors
    assert "Assertion `{{ outputs.missing.value == 1 }}` failed!" in errors
    assert "Assertion `{{ 42 == 42 }}` failed!" not in errors
    assert "2 assertion(s) failed!\nvalue was xyz" in errors


def test_assert_that_holds_succeeds() -> None:
    runner = InMemoryRunner()
    runner.deploy(FLOW.replace("== 'abc'", "== 'xyz'").replace("outputs.missing.value == 1", "true"))
    assert runner.run("demo", "checks").state.current == "SUCCESS"
