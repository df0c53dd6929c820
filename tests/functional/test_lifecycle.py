"""docs/lifecycle.md, cell by cell: every lifecycle command in every execution state."""

from __future__ import annotations

import pytest

from engine.memory.runner import InMemoryRunner
from engine.model.state import StateType
from engine.ports import Commit
from engine.services.executions import ExecutionTerminatedError

S = StateType
FLOW = """id: life
namespace: demo
tasks:
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT10M
  - id: last
    type: io.kestra.plugin.core.debug.Return
    format: done
"""
ACTIVE = ["CREATED", "QUEUED", "RUNNING", "PAUSED", "RETRYING", "KILLING", "RESTARTED"]
ENDED = ["SUCCESS", "WARNING", "FAILED", "CANCELLED", "RETRIED"]
COMMANDS = [
    "kill",
    "pause",
    "resume",
    "restart",
    "replay",
    "set-task-run-state",
    "change-status",
    "unqueue",
    "force-run",
]
R = "409"  # refused with Kestra's message
# What each command ends in, from each state (the execution's final state, or the new one's for replay).
TABLE: dict[str, dict[str, str]] = {
    # An ended execution stays as it ended: the kill is for what it started (test_subflow.py).
    "kill": {**dict.fromkeys(ACTIVE, "KILLED"), **{state: state for state in [*ENDED, "KILLED"]}},
    "pause": {**dict.fromkeys([*ACTIVE, *ENDED, "KILLED"], R), "RUNNING": "PAUSED"},
    "resume": {**dict.fromkeys([*ACTIVE, *ENDED, "KILLED"], R), "PAUSED": "SUCCESS"},
    "restart": {**dict.fromkeys([*ACTIVE, *ENDED, "KILLED"], R), "FAILED": "SUCCESS"},
    "replay": dict.fromkeys([*ACTIVE, *ENDED, "KILLED"], "SUCCESS"),
    "set-task-run-state": {**dict.fromkeys([*ACTIVE, "KILLED"], R), **dict.fromkeys(ENDED, "SUCCESS")},
    "change-status": {**dict.fromkeys([*ACTIVE, "KILLED"], R), **dict.fromkeys(ENDED, "WARNING")},
    "unqueue": {**dict.fromkeys([*ACTIVE, *ENDED, "KILLED"], R), "QUEUED": "SUCCESS"},
    # Started (CREATED, QUEUED), resumed (PAUSED), or looked at again: a retry still waits, a kill goes on.
    "force-run": {
        **dict.fromkeys(ACTIVE, "SUCCESS"),
        **dict.fromkeys([*ENDED, "KILLED"], R),
        "RETRYING": "RETRYING",
        "KILLING": "KILLED",
    },
}


def _in_state(state: str) -> tuple[InMemoryRunner, str]:
    """An execution of FLOW whose sleep runs, put in `state` (its sleep ended likewise when it is over)."""
    runner = InMemoryRunner()
    runner.deploy(FLOW)
    execution_id = runner.services.executions.create("demo", "life").id
    runner.drain_now()
    stored = runner.store.load(execution_id)
    assert stored is not None
    execution = stored.execution
    target = S(state)
    nap = next(run for run in execution.task_runs if run.task_id == "nap")
    changed: frozenset[str] = frozenset()
    if target.terminated:
        execution.task_runs.put(nap.terminate(target, runner.clock.now()))
        changed = frozenset({nap.id})
    elif target == S.CREATED:
        execution.task_runs.remove(nap.id)
        changed = frozenset()
    execution.with_state(target, runner.clock.now())
    removed = frozenset({nap.id}) if target == S.CREATED else frozenset()
    runner.store.commit(Commit(execution, changed, removed))
    return runner, execution_id


def _apply(runner: InMemoryRunner, execution_id: str, command: str) -> str:
    executions = runner.services.executions
    nap = next((r for r in executions.get(execution_id).task_runs if r.task_id == "nap"), None)
    try:
        if command == "kill":
            result = executions.kill(execution_id)
        elif command == "pause":
            result = executions.pause(execution_id)
        elif command == "resume":
            result = executions.resume(execution_id)
        elif command == "restart":
            result = executions.restart(execution_id)
        elif command == "replay":
            result = executions.replay(execution_id)
        elif command == "set-task-run-state":
            result = executions.set_task_run_state(execution_id, nap.id if nap else "none yet", S.SUCCESS)
        elif command == "unqueue":
            result = executions.unqueue(execution_id)
        elif command == "force-run":
            result = executions.force_run(execution_id)
        else:
            result = executions.change_status(execution_id, S.WARNING)
    except Exception as refused:
        assert type(refused).__name__ in ("ExecutionStateError", "ExecutionTerminatedError"), refused
        return R
    runner.drain()
    return executions.get(result.id).state.current.value


@pytest.mark.parametrize("state", [*ENDED, "KILLED"])
def test_a_kill_that_does_not_cascade_is_refused_once_ended(state: str) -> None:
    runner, execution_id = _in_state(state)
    with pytest.raises(ExecutionTerminatedError, match="already terminated"):
        runner.services.executions.kill(execution_id, cascade=False)


@pytest.mark.parametrize("state", [*ACTIVE, *ENDED, "KILLED"])
@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_in_every_state(command: str, state: str) -> None:
    runner, execution_id = _in_state(state)
    assert _apply(runner, execution_id, command) == TABLE[command][state]
