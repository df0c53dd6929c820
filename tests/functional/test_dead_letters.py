"""A poison message — one that fails on every delivery — ends its execution FAILED with the reason, through
the dead-letter queues and their consumer, instead of leaving it waiting forever (issue 12)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.model.state import StateType
from engine.runtime.attempt import WorkerResult
from engine.services.dispatcher import Dispatcher
from infra.embedded.local import LocalKite

FLOW = """id: poisoned
namespace: demo
tasks:
  - id: work
    type: io.kestra.plugin.core.debug.Return
    format: done
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: never
"""


def test_a_result_that_always_fails_its_step_fails_the_execution(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Dispatcher.handle
    attempts: list[int] = []

    def failing(self: Dispatcher, execution_id: str, events: Any, *args: Any, **kwargs: Any) -> Any:
        if any(isinstance(event, WorkerResult) for event in events):
            attempts.append(1)
            raise RuntimeError("this step always fails")
        return original(self, execution_id, events, *args, **kwargs)

    monkeypatch.setattr(Dispatcher, "handle", failing)
    with LocalKite(inline_budget=0) as kite:
        kite.deploy(FLOW)
        execution = kite.run("demo", "poisoned")
        logs = kite.services.executions.logs(execution.id)
    # The worker's own step (its task is the only one out), then the dispatch queue's maxReceiveCount.
    assert len(attempts) == 1 + 5
    assert execution.state.current == StateType.FAILED
    states = {run.task_id: run.state.current for run in execution.task_runs}
    assert states == {"work": StateType.FAILED}
    reasons = [entry.message for entry in logs if entry.level == "ERROR"]
    assert any("WorkerResult message of this execution failed on every delivery" in r for r in reasons), (
        reasons
    )
