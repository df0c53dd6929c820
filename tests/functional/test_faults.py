"""At-least-once faults through the real handlers and adapters on moto (design §4)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kite.engine.model.execution import Execution
from kite.engine.ports import Commit
from kite.infra.aws.bus import SqsMessageBus
from kite.infra.aws.executions import DynamoExecutionStore
from kite.infra.local import Handler, LocalKite

FLOW = """id: faults
namespace: demo
tasks:
  - id: par
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - id: left
        type: io.kestra.plugin.core.debug.Return
        format: left
      - id: right
        type: io.kestra.plugin.core.debug.Return
        format: right
  - id: last
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.left.value }}+{{ outputs.right.value }}"
"""


def summary(execution: Execution) -> list[tuple[str, str, int, dict[str, Any]]]:
    return [(r.task_id, r.state.current.value, len(r.attempts), dict(r.outputs)) for r in execution.task_runs]


def run(kite: LocalKite) -> Execution:
    kite.deploy(FLOW)
    return kite.run("demo", "faults")


@pytest.fixture
def reference() -> list[tuple[str, str, int, dict[str, Any]]]:
    with LocalKite(inline_budget=0) as kite:
        execution = run(kite)
    assert execution.state.current.value == "SUCCESS"
    return summary(execution)


def test_duplicated_delivery_of_every_dispatch_message_changes_nothing(reference: list[Any]) -> None:
    def twice(handler: Handler) -> Handler:
        def deliver(event: dict[str, Any], context: Any) -> dict[str, Any]:
            handler(copy.deepcopy(event), context)
            return handler(event, context)

        return deliver

    with LocalKite(inline_budget=0, wrap_dispatcher=twice, wrap_worker=twice) as kite:
        execution = run(kite)
        logs = kite.services.executions.logs(execution.id)
    assert summary(execution) == reference
    assert any("late or duplicate result" in entry.message for entry in logs)


def test_racing_dispatchers_end_consistent(monkeypatch: pytest.MonkeyPatch, reference: list[Any]) -> None:
    """While one step is about to commit, another step on the same execution commits first: the first
    loses the conditional write, reloads, applies its event again and wins the retry."""
    original = DynamoExecutionStore.commit
    raced: list[str] = []
    captured: list[tuple[dict[str, Any], Any]] = []

    def capture(handler: Handler) -> Handler:
        def deliver(event: dict[str, Any], context: Any) -> dict[str, Any]:
            if not captured and any('"WorkerResult"' in r["body"] for r in event["Records"]):
                captured.append((copy.deepcopy(event), context))
            return handler(event, context)

        return deliver

    def commit(self: DynamoExecutionStore, change: Commit) -> int:
        if captured and not raced and change.changed:
            raced.append(change.execution.id)
            event, context = captured[0]
            from kite.functions import dispatcher

            dispatcher.handler(event, context)  # the other invocation, delivered concurrently
        return original(self, change)

    monkeypatch.setattr(DynamoExecutionStore, "commit", commit)
    with LocalKite(inline_budget=0, wrap_dispatcher=capture) as kite:
        execution = run(kite)
    assert raced
    assert summary(execution) == reference


def test_crash_between_write_and_send_is_repaired(
    monkeypatch: pytest.MonkeyPatch, reference: list[Any]
) -> None:
    original = SqsMessageBus.send
    crashes: list[int] = []

    def send(self: SqsMessageBus, messages: Any) -> None:
        # The first step that writes and then sends work to a worker dies before sending.
        if not crashes and any(m.body.get("kind") == "RunTask" for m in messages):
            crashes.append(len(messages))
            raise RuntimeError("simulated crash after the commit")
        original(self, messages)

    monkeypatch.setattr(SqsMessageBus, "send", send)
    with LocalKite(inline_budget=0) as kite:
        execution = run(kite)
    assert crashes
    assert summary(execution) == reference
