"""Defects of issue 15 in core tasks: Echo is its own task, a Pause's children stop at a failure."""

from __future__ import annotations

import pytest

from engine.flow.loader import InvalidFlowError, parse_flow
from engine.memory.runner import InMemoryRunner


@pytest.fixture(params=[500, 0], ids=["inline", "workers"])
def runner(request: pytest.FixtureRequest) -> InMemoryRunner:
    return InMemoryRunner(inline_budget=request.param)


def test_echo_logs_its_format_at_its_level_and_has_no_outputs(runner: InMemoryRunner) -> None:
    runner.deploy(
        """id: echo_flow
namespace: demo
tasks:
  - id: echo
    type: io.kestra.plugin.core.debug.Echo
    level: WARN
    format: "{{ task.id }} > {{ flow.id }}"
"""
    )
    execution = runner.run("demo", "echo_flow")
    assert execution.state.current.value == "SUCCESS"
    (run,) = execution.task_runs.of_task("echo")
    assert run.outputs == {}
    logged = [
        (log.level, log.message) for log in runner.services.executions.logs(execution.id) if log.task_id
    ]
    assert ("WARN", "echo > echo_flow") in logged


def test_echo_needs_a_format() -> None:
    source = "id: e\nnamespace: demo\ntasks:\n  - id: echo\n    type: io.kestra.core.tasks.debugs.Echo\n"
    with pytest.raises(InvalidFlowError, match="format"):
        parse_flow(source)


def test_a_pause_s_children_stop_at_the_first_failure(runner: InMemoryRunner) -> None:
    runner.deploy(
        """id: paused
namespace: demo
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    tasks:
      - id: boom
        type: io.kestra.plugin.core.execution.Fail
      - id: never
        type: io.kestra.plugin.core.log.Log
        message: not after a failure
"""
    )
    started = runner.services.executions.create("demo", "paused")
    runner.drain_now()
    runner.services.executions.resume(started.id)
    runner.drain()
    execution = runner.services.executions.get(started.id)
    assert execution.state.current.value == "FAILED"
    assert [r.task_id for r in execution.task_runs] == ["wait", "boom"]
    assert execution.task_runs.of_task("wait")[0].state.current.value == "FAILED"


def test_a_templated_task_renders_its_spec_then_runs_it(runner: InMemoryRunner) -> None:
    runner.deploy(
        """id: templated
namespace: demo
inputs:
  - id: property
    type: STRING
    defaults: format
tasks:
  - id: templated
    type: io.kestra.plugin.core.templating.TemplatedTask
    spec: |
      type: io.kestra.plugin.core.debug.Return
      {{ inputs.property }}: "{{ flow.id }} rendered"
  - id: nested
    type: io.kestra.plugin.core.templating.TemplatedTask
    allowFailure: true
    spec: |
      type: io.kestra.plugin.core.templating.TemplatedTask
      spec: x
  - id: flowable
    type: io.kestra.plugin.core.templating.TemplatedTask
    allowFailure: true
    spec: |
      type: io.kestra.plugin.core.flow.Sequential
      tasks: []
"""
    )
    execution = runner.run("demo", "templated")
    assert execution.task_runs.of_task("templated")[0].outputs == {"value": "templated rendered"}
    messages = {
        log.task_id: log.message for log in runner.services.executions.logs(execution.id) if log.task_id
    }
    assert (
        messages["nested"]
        == "The templated task cannot be of type 'io.kestra.plugin.core.templating.TemplatedTask'"
    )
    assert messages["flowable"] == "The templated task must be a runnable task"


def test_state_tasks_merge_read_and_delete_a_map(runner: InMemoryRunner) -> None:
    runner.deploy(
        """id: states
namespace: demo
tasks:
  - id: set1
    type: io.kestra.plugin.core.state.Set
    data: {a: 1, b: "{{ flow.id }}"}
  - id: set2
    type: io.kestra.plugin.core.state.Set
    data: {b: two}
  - id: get
    type: io.kestra.plugin.core.state.Get
  - id: delete
    type: io.kestra.plugin.core.state.Delete
  - id: missing
    type: io.kestra.plugin.core.state.Get
    errorOnMissing: true
    allowFailure: true
"""
    )
    execution = runner.run("demo", "states")
    runs = {run.task_id: run for run in execution.task_runs}
    assert runs["set2"].outputs == {"count": 2, "key": "states_states_tasks-states_default"}
    assert runs["get"].outputs == {"count": 2, "data": {"a": 1, "b": "two"}}
    assert runs["delete"].outputs == {"deleted": True}
    assert runs["missing"].state.current.value == "WARNING"
