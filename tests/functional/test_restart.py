"""Restart from the failed task (spec part 2 §14.1) through the service layer."""

from __future__ import annotations

import pytest

from engine.memory.runner import InMemoryRunner
from engine.model.execution import Execution
from engine.model.state import StateType
from engine.services.executions import ExecutionStateError
from infra.embedded.local import LocalKite

FLOW = """
id: restart_demo
namespace: demo
tasks:
  - id: a
    type: io.kestra.plugin.core.debug.Return
    format: a
  - id: seq
    type: io.kestra.plugin.core.flow.Sequential
    tasks:
      - id: b
        type: io.kestra.plugin.core.debug.Return
        format: "{{ taskrun.attemptsCount == 1 ? 'ok' : ko }}"
    errors:
      - id: local
        type: io.kestra.plugin.core.debug.Return
        format: local
  - id: c
    type: io.kestra.plugin.core.debug.Return
    format: c
errors:
  - id: e
    type: io.kestra.plugin.core.debug.Return
    format: handled
afterExecution:
  - id: audit
    type: io.kestra.plugin.core.debug.Return
    format: "{{ execution.state }}"
"""


def _runs(execution: Execution) -> dict[str, tuple[str, int]]:
    return {r.task_id: (r.state.current.value, len(r.attempts)) for r in execution.task_runs}


def _check_first(execution: Execution) -> None:
    assert execution.state.current == "FAILED"
    assert _runs(execution) == {
        "a": ("SUCCESS", 1), "seq": ("FAILED", 1), "b": ("FAILED", 1), "local": ("SUCCESS", 1),
        "e": ("SUCCESS", 1), "audit": ("SUCCESS", 1),
    }  # fmt: skip


def _check_restarted(execution: Execution) -> None:
    assert execution.state.current == "SUCCESS"
    assert _runs(execution) == {
        "a": ("SUCCESS", 1), "seq": ("SUCCESS", 1), "b": ("SUCCESS", 2), "c": ("SUCCESS", 1),
        "audit": ("SUCCESS", 1),
    }  # fmt: skip
    assert [h.state.value for h in execution.state.histories] == [
        "CREATED", "RUNNING", "FAILED", "RESTARTED", "RUNNING", "SUCCESS",
    ]  # fmt: skip
    b = next(r for r in execution.task_runs if r.task_id == "b")
    assert [h.state.value for h in b.state.histories][-5:] == [
        "FAILED", "RESTARTED", "SUBMITTED", "RUNNING", "SUCCESS",
    ]  # fmt: skip
    assert b.outputs == {"value": "ok"}
    audit = next(r for r in execution.task_runs if r.task_id == "audit")
    assert audit.outputs == {"value": "SUCCESS"}
    assert execution.label_map()["system.restarted"] == "true"
    assert execution.metadata.attempt_number == 2


def test_restart_in_memory() -> None:
    runner = InMemoryRunner()
    runner.deploy(FLOW)
    first = runner.run("demo", "restart_demo")
    _check_first(first)
    restarted = runner.services.executions.restart(first.id)
    # The call answers with the execution as restarted, before the dispatcher runs it.
    assert restarted.state.current == "RESTARTED"
    assert _runs(restarted) == {"a": ("SUCCESS", 1), "seq": ("RUNNING", 1), "b": ("RESTARTED", 1)}
    assert runner.services.executions.get(first.id).state.current == "RESTARTED"
    runner.drain()
    _check_restarted(runner.services.executions.get(first.id))
    with pytest.raises(ExecutionStateError, match="current state is 'SUCCESS'"):
        runner.services.executions.restart(first.id)


def test_restart_on_the_embedded_stack() -> None:
    with LocalKite() as kite:
        kite.deploy(FLOW)
        first = kite.run("demo", "restart_demo")
        _check_first(first)
        kite.services.executions.restart(first.id)
        assert kite.pump is not None
        kite.pump.run_until(lambda: kite.services.executions.get(first.id).state.current != "FAILED")
        restarted = kite.wait(first.id)
    _check_restarted(restarted)


def test_a_failed_task_marked_success_by_hand_lets_what_follows_run() -> None:
    runner = InMemoryRunner()
    runner.deploy(FLOW.replace("taskrun.attemptsCount == 1", "false"))
    failed = runner.run("demo", "restart_demo")
    b = failed.task_runs.of_task("b")[0]
    changed = runner.services.executions.set_task_run_state(failed.id, b.id, StateType.SUCCESS)
    assert changed.state.current == "RESTARTED"
    runner.drain()
    execution = runner.services.executions.get(failed.id)
    assert execution.state.current == "SUCCESS"
    runs = _runs(execution)
    assert runs["b"] == ("SUCCESS", 1) and runs["c"] == ("SUCCESS", 1) and runs["seq"][0] == "SUCCESS"
    assert "e" not in runs  # the errors run was dropped and is not needed any more
    assert execution.label_map()["system.restarted"] == "true"
    assert execution.metadata.attempt_number == 2


def test_the_status_of_an_ended_execution_can_be_replaced_and_nothing_runs() -> None:
    runner = InMemoryRunner()
    runner.deploy(FLOW.replace("taskrun.attemptsCount == 1", "false"))
    failed = runner.run("demo", "restart_demo")
    changed = runner.services.executions.change_status(failed.id, StateType.WARNING)
    runner.drain()
    assert runner.services.executions.get(failed.id).state.current == changed.state.current == "WARNING"
    with pytest.raises(ExecutionStateError, match="only a terminal state"):
        runner.services.executions.change_status(failed.id, StateType.RUNNING)
    killed = runner.services.executions.change_status(failed.id, StateType.KILLED)
    assert killed.state.current == "KILLED"
    with pytest.raises(ExecutionStateError, match="expected terminated and not KILLED"):
        runner.services.executions.set_task_run_state(
            failed.id, failed.task_runs.of_task("b")[0].id, StateType.SUCCESS
        )
