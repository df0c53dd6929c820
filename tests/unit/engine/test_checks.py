"""Flow `checks` (spec part 1 §8): evaluated on the typed inputs before an execution is created."""

from __future__ import annotations

import pytest

from engine.memory.runner import InMemoryRunner
from engine.services.executions import ExecutionBlockedError

FLOW = """
id: guarded
namespace: demo
inputs:
  - {id: env, type: SELECT, values: [dev, prod, test]}
  - {id: n, type: INT, defaults: 1}
checks:
  - condition: "{{ inputs.env != 'prod' }}"
    message: prod runs are blocked
    behavior: BLOCK_EXECUTION
    style: ERROR
  - condition: "{{ inputs.env != 'test' }}"
    message: test runs fail
    behavior: FAIL_EXECUTION
  - condition: "{{ inputs.n > 0 }}"
    message: n should be positive
    behavior: CREATE_EXECUTION
tasks:
  - {id: hi, type: io.kestra.plugin.core.debug.Return, format: "{{ flow.id }}"}
"""


@pytest.fixture
def runner() -> InMemoryRunner:
    runner = InMemoryRunner()
    runner.deploy(FLOW)
    return runner


def test_passing_checks_create_the_execution(runner: InMemoryRunner) -> None:
    assert runner.run("demo", "guarded", {"env": "dev"}).state.current == "SUCCESS"


def test_a_failed_create_check_only_informs(runner: InMemoryRunner) -> None:
    assert runner.run("demo", "guarded", {"env": "dev", "n": -1}).state.current == "SUCCESS"


def test_a_failed_block_check_creates_nothing_and_names_every_failed_check(runner: InMemoryRunner) -> None:
    with pytest.raises(ExecutionBlockedError) as raised:
        runner.services.executions.create("demo", "guarded", {"env": "prod", "n": 0})
    assert str(raised.value) == (
        "Flow execution blocked: one or more condition checks evaluated to false.\n"
        "Failed checks: prod runs are blocked, n should be positive"
    )
    assert runner.store.search() == []


def test_a_failed_fail_check_creates_the_execution_failed(runner: InMemoryRunner) -> None:
    execution = runner.run("demo", "guarded", {"env": "test"})
    assert execution.state.current == "FAILED"
    assert [h.state.value for h in execution.state.histories] == ["CREATED", "FAILED"]
    assert len(execution.task_runs) == 0
    logs = [e.message for e in runner.services.executions.logs(execution.id)]
    assert "Flow execution failed because one or more condition checks evaluated to false." in logs


def test_a_condition_that_cannot_be_evaluated_blocks(runner: InMemoryRunner) -> None:
    runner.deploy(FLOW.replace("{{ inputs.n > 0 }}", "{{ nope() }}"))
    with pytest.raises(ExecutionBlockedError, match=r"Failed to evaluate check condition\. Cause: .*nope"):
        runner.services.executions.create("demo", "guarded", {"env": "dev"})
