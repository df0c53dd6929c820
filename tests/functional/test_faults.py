"""At-least-once faults through the real handlers and adapters on moto (design §4)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from engine.model.execution import Execution
from engine.ports import Commit
from engine.services import messages
from engine.services import worker as worker_module
from infra.aws.execution_store import DynamoExecutionStore
from infra.aws.message_bus import SqsMessageBus
from infra.embedded.local import Handler, LocalKite
from tests.functional.faults import on_every_function, twice

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
    with LocalKite(inline_budget=0, wrap=on_every_function(twice)) as kite:
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
            from functions import dispatcher

            dispatcher.handler(event, context)  # the other invocation, delivered concurrently
        return original(self, change)

    monkeypatch.setattr(DynamoExecutionStore, "commit", commit)
    with LocalKite(inline_budget=0, wrap={"DispatcherFunction": capture}) as kite:
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


RETRY_FLOW = """id: retried
namespace: demo
tasks:
  - id: flaky
    type: io.kestra.plugin.core.debug.Return
    format: "attempt {{ taskrun.attemptsCount }}"
    timeout: PT1M
    retry:
      type: constant
      interval: PT10S
      maxAttempts: 3
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.flaky.value }}"
"""


@pytest.mark.parametrize(
    ("timeout", "seconds", "message"),
    [
        ("PT1M", 60, "Timeout after 00:01:00.000"),
        # Without a timeout of its own the attempt meets Lambda's ceiling: reported as a timeout too.
        (None, 900, "Timeout after 00:15:00.000: the worker did not report"),
    ],
)
def test_a_worker_that_never_reports_times_out_and_its_late_result_is_ignored(
    timeout: str | None, seconds: int, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker claims the first attempt, runs it and dies before its result is sent: its RunTask comes
    back, finds the claim held, and the attempt is lost at the end of the lease (or of the task's own
    timeout, sooner). The result, sent at last, is ignored."""
    original = worker_module.run_attempt
    lost_results: list[Any] = []

    def run_attempt(task: Any, run: Any, *args: Any) -> Any:
        result = original(task, run, *args)
        if not lost_results and run.task_id == "flaky":
            lost_results.append(messages.worker_result(result))
            raise RuntimeError("the worker died before its result was sent or applied")
        return result

    monkeypatch.setattr(worker_module, "run_attempt", run_attempt)
    with LocalKite(inline_budget=0) as kite:
        kite.deploy(RETRY_FLOW if timeout else RETRY_FLOW.replace("    timeout: PT1M\n", ""))
        execution = kite.run("demo", "retried")
        kite.stack.message_bus().send(lost_results)  # type: ignore[union-attr]  # the lost result, at last
        assert kite.pump is not None
        kite.pump.run_until(kite.pump.idle)
        final = kite.wait(execution.id)
        logs = kite.services.executions.logs(execution.id)

    assert final.state.current.value == "SUCCESS"
    flaky = next(run for run in final.task_runs if run.task_id == "flaky")
    assert [a.state.current.value for a in flaky.attempts] == ["FAILED", "SUCCESS"]
    assert flaky.outputs == {"value": "attempt 1"}
    assert [h.state.value for h in flaky.state.histories] == [
        "CREATED",
        "SUBMITTED",
        "FAILED",
        "RETRYING",
        "CREATED",
        "SUBMITTED",
        "RUNNING",
        "SUCCESS",
    ]
    # The lost attempt failed when its time was up after it was sent; the retry waited 10 s more.
    sent, failed = flaky.state.histories[1].date, flaky.state.histories[2].date
    assert (failed - sent).total_seconds() == pytest.approx(seconds, abs=1)
    lines = [entry.message for entry in logs if entry.task_id == "flaky"]
    assert any(line.startswith(message) for line in lines), lines
    assert any("late or duplicate result" in line for line in lines)
    after = next(run for run in final.task_runs if run.task_id == "after")
    assert after.outputs == {"value": "attempt 1"}


def test_a_timer_delivered_twice_retries_once() -> None:
    flow = """id: twice
namespace: demo
tasks:
  - id: failing
    type: io.kestra.plugin.core.execution.Fail
    retry:
      type: constant
      interval: PT5S
      maxAttempts: 3
"""

    def timers_twice(handler: Handler) -> Handler:
        def deliver(event: dict[str, Any], context: Any) -> dict[str, Any]:
            if any('"TimerFired"' in record["body"] for record in event["Records"]):
                handler(copy.deepcopy(event), context)
            return handler(event, context)

        return deliver

    with LocalKite(wrap={"DispatcherFunction": timers_twice}) as kite:
        kite.deploy(flow)
        execution = kite.run("demo", "twice")
    failing = next(iter(execution.task_runs))
    assert execution.state.current.value == "FAILED"
    assert [a.state.current.value for a in failing.attempts] == ["FAILED", "FAILED", "FAILED"]
    assert [h.state.value for h in execution.state.histories] == [
        "CREATED",
        "RUNNING",
        "RETRYING",
        "RUNNING",
        "RETRYING",
        "RUNNING",
        "FAILED",
    ]
