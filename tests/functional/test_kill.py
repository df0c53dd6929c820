"""Kill (spec part 2 §13.3): through the service layer, on the embedded stack and in memory."""

from __future__ import annotations

import pytest

from engine.memory.runner import InMemoryRunner
from engine.model.execution import Execution
from engine.services.executions import ExecutionTerminatedError
from infra.embedded.local import LocalKite

FLOW = """
id: long
namespace: demo
tasks:
  - id: par
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - id: nap
        type: io.kestra.plugin.core.flow.Sleep
        duration: PT1H
      - id: flaky
        type: io.kestra.plugin.core.execution.Fail
        retry: {type: constant, interval: PT1H, maxAttempts: 5}
  - id: next
    type: io.kestra.plugin.core.debug.Return
    format: next
finally:
  - id: cleanup
    type: io.kestra.plugin.core.debug.Return
    format: cleanup
afterExecution:
  - id: audit
    type: io.kestra.plugin.core.debug.Return
    format: "{{ execution.state }}"
"""


def _states(execution: Execution) -> dict[str, str]:
    return {run.task_id: run.state.current.value for run in execution.task_runs}


def _check(execution: Execution) -> None:
    assert execution.state.current == "KILLED"
    assert [h.state.value for h in execution.state.histories] == [
        "CREATED", "RUNNING", "RETRYING", "KILLING", "KILLED",
    ]  # fmt: skip
    # The sleeping run, the run waiting for its retry and their parent are killed; nothing new starts.
    assert _states(execution) == {"par": "KILLED", "nap": "KILLED", "flaky": "KILLED", "audit": "SUCCESS"}
    audit = next(run for run in execution.task_runs if run.task_id == "audit")
    assert audit.outputs == {"value": "KILLED"}


def test_kill_on_the_embedded_stack() -> None:
    with LocalKite() as kite:
        kite.deploy(FLOW)
        started = kite.start_execution("demo", "long")
        assert kite.pump is not None
        kite.pump.run_until(lambda: kite.services.executions.get(started.id).state.current == "RETRYING")
        kite.services.executions.kill(started.id)
        execution = kite.wait(started.id)
        with pytest.raises(ExecutionTerminatedError, match="already terminated"):
            kite.services.executions.kill(started.id, cascade=False)
        kite.services.executions.kill(started.id)  # Kestra's default: what it started is killed, if any
        assert kite.wait(started.id).version == execution.version
    _check(execution)


def test_no_timer_resurrects_a_killed_execution() -> None:
    runner = InMemoryRunner()
    runner.deploy(FLOW)
    started = runner.services.executions.create("demo", "long")
    runner.drain_now()
    runner.services.executions.kill(started.id)
    runner.drain()  # the retry and sleep timers still fire, an hour later: they change nothing
    execution = runner.services.executions.get(started.id)
    _check(execution)
