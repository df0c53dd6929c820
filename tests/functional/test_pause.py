"""Pause / Resume (spec part 2 §13.1-13.2) through the service layer."""

from __future__ import annotations

import pytest

from engine.creation.inputs import InvalidInputsError
from engine.memory.runner import InMemoryRunner
from engine.model.execution import Execution
from engine.services import messages
from engine.services.executions import ExecutionStateError
from infra.embedded.local import LocalKite


def _flow(pause: str) -> str:
    return f"""
id: approval
namespace: demo
tasks:
  - id: pause
    type: io.kestra.plugin.core.flow.Pause
{pause}
  - id: last
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ outputs.pause.onResume.approved ?? 'no input' }}}}"
"""


def _states(execution: Execution) -> dict[str, str]:
    return {run.task_id: run.state.current.value for run in execution.task_runs}


def _history(execution: Execution) -> list[str]:
    return [h.state.value for h in execution.state.histories]


def _start(flow: str) -> tuple[InMemoryRunner, str]:
    runner = InMemoryRunner()
    runner.deploy(flow)
    execution = runner.services.executions.create("demo", "approval")
    runner.drain_now()
    assert runner.services.executions.get(execution.id).state.current == "PAUSED"
    return runner, execution.id


RESUMED = ["PAUSED", "RESTARTED", "RUNNING"]


@pytest.mark.parametrize(
    ("pause", "pause_state", "execution_state", "history"),
    [
        ("    pauseDuration: PT1M", "SUCCESS", "SUCCESS", [*RESUMED, "SUCCESS"]),
        ("    pauseDuration: PT1M\n    behavior: WARN", "WARNING", "WARNING", [*RESUMED, "WARNING"]),
        ("    pauseDuration: PT1M\n    behavior: FAIL", "FAILED", "FAILED", [*RESUMED, "FAILED"]),
        ("    pauseDuration: PT1M\n    behavior: CANCEL", "CANCELLED", "CANCELLED", ["PAUSED", "CANCELLED"]),
        ("    timeout: PT1H", "FAILED", "FAILED", [*RESUMED, "FAILED"]),
        ("    timeout: PT1H\n    allowFailure: true", "WARNING", "WARNING", [*RESUMED, "WARNING"]),
    ],
)
def test_the_timer_ends_the_pause(
    pause: str, pause_state: str, execution_state: str, history: list[str]
) -> None:
    runner, execution_id = _start(_flow(pause))
    runner.drain()
    execution = runner.services.executions.get(execution_id)
    assert execution.state.current == execution_state
    assert _states(execution)["pause"] == pause_state
    assert _history(execution) == ["CREATED", "RUNNING", *history]
    assert ("last" in _states(execution)) == (pause_state in ("SUCCESS", "WARNING"))
    pause_run = next(iter(execution.task_runs))
    assert [h.state.value for h in pause_run.state.histories] == ["CREATED", "RUNNING", "PAUSED", pause_state]


def test_a_manual_resume_with_inputs_wins_over_the_timer() -> None:
    flow = _flow(
        "    pauseDuration: PT1H\n    behavior: FAIL\n    onResume:\n"
        "      - id: approved\n        type: BOOL\n"
        "      - id: count\n        type: INT\n        required: false"
    )
    runner, execution_id = _start(flow)
    executions = runner.services.executions
    with pytest.raises(InvalidInputsError, match="Missing required input:approved"):
        executions.resume(execution_id, {})
    with pytest.raises(InvalidInputsError, match="count"):
        executions.resume(execution_id, {"approved": "true", "count": "many"})
    executions.resume(execution_id, {"approved": "true"})
    runner.drain()  # the hour passes: the FAIL timer finds the pause over and changes nothing
    execution = executions.get(execution_id)
    assert execution.state.current == "SUCCESS"
    pause_run, last = list(execution.task_runs)
    assert pause_run.outputs["onResume"] == {"approved": True, "count": None}
    assert pause_run.outputs["resumed"]["to"] == "SUCCESS"
    assert last.outputs == {"value": "true"}
    with pytest.raises(ExecutionStateError, match="not paused"):
        executions.resume(execution_id, {"approved": "true"})


def test_kill_while_paused() -> None:
    runner, execution_id = _start(_flow("    timeout: PT1H"))
    runner.services.executions.kill(execution_id)
    runner.drain()
    execution = runner.services.executions.get(execution_id)
    assert execution.state.current == "KILLED"
    assert _states(execution) == {"pause": "KILLED"}


def test_manual_pause_and_resume_of_a_running_execution() -> None:
    flow = """
id: approval
namespace: demo
tasks:
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT1M
  - id: last
    type: io.kestra.plugin.core.debug.Return
    format: done
"""
    runner = InMemoryRunner()
    runner.deploy(flow)
    executions = runner.services.executions
    execution = executions.create("demo", "approval")
    runner.drain_now()
    executions.pause(execution.id)
    runner.drain()  # the sleep ends, but nothing new starts while paused
    paused = executions.get(execution.id)
    assert paused.state.current == "PAUSED"
    assert _states(paused) == {"nap": "SUCCESS"}
    executions.resume(execution.id)
    runner.drain()
    assert executions.get(execution.id).state.current == "SUCCESS"


def test_pause_and_resume_on_the_embedded_stack() -> None:
    flow = _flow("    onResume:\n      - id: approved\n        type: BOOL\n        defaults: false")
    with LocalKite() as kite:
        kite.deploy(flow)
        started = kite.start_execution("demo", "approval")
        assert kite.pump is not None
        kite.pump.run_until(lambda: kite.services.executions.get(started.id).state.current == "PAUSED")
        kite.services.executions.resume(started.id)
        execution = kite.wait(started.id)
    assert execution.state.current == "SUCCESS"
    assert _states(execution) == {"pause": "SUCCESS", "last": "SUCCESS"}
    assert list(execution.task_runs)[1].outputs == {"value": "false"}


def test_a_restart_while_paused_pauses_again_and_a_resume_sent_before_it_still_applies() -> None:
    """A resume queued before a restart of the paused execution: the restart re-arms the pause, the
    resume then ends it (it used to leave the Pause RUNNING forever and lose the resume)."""
    runner, execution_id = _start(_flow("    timeout: PT1H"))
    executions = runner.services.executions
    pause_run = next(r for r in executions.get(execution_id).task_runs if r.task_id == "pause")
    runner.bus.send([messages.resume(execution_id, pause_run.id, {})])  # queued, not delivered yet
    restarted = executions.restart(execution_id)
    assert restarted.state.current == "RESTARTED"
    assert _states(restarted) == {"pause": "RESTARTED"}
    runner.drain()
    execution = executions.get(execution_id)
    assert execution.state.current == "SUCCESS", _states(execution)
    assert _states(execution) == {"pause": "SUCCESS", "last": "SUCCESS"}


def test_a_restart_while_paused_then_the_timer_ends_it_again() -> None:
    runner, execution_id = _start(_flow("    pauseDuration: PT1M"))
    executions = runner.services.executions
    executions.restart(execution_id)
    runner.drain_now()
    assert executions.get(execution_id).state.current == "PAUSED"
    runner.drain()
    assert executions.get(execution_id).state.current == "SUCCESS"
