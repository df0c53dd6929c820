"""The step protocol under the faults issue 12 found, each on the real handlers and moto (design §4):
nothing lost, nothing run twice, nothing torn, terminal is terminal."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from engine.model.execution import Execution
from engine.model.state import StateType
from infra.aws.message_bus import SqsMessageBus
from infra.embedded.clock import VirtualClock
from infra.embedded.local import Handler, LocalKite
from infra.embedded.pump import Pump, Source
from tests.functional.faults import twice

S = StateType


def _states(execution: Execution) -> dict[str, str]:
    return {
        f"{r.task_id}{'[' + r.value + ']' if r.value else ''}": r.state.current.value
        for r in execution.task_runs
    }


def _slow_redeliveries(monkeypatch: pytest.MonkeyPatch) -> None:
    """A failed batch comes back after the dispatch queue's visibility timeout, as in AWS."""
    original = Pump.deliver

    def deliver(
        self: Pump, source: Source, max_messages: int | None = None, *, retry_after_s: int = 0
    ) -> int:
        return original(self, source, max_messages, retry_after_s=360)

    monkeypatch.setattr(Pump, "deliver", deliver)


LOST_EFFECT = """id: lost
namespace: demo
tasks:
  - id: both
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - id: nap
        type: io.kestra.plugin.core.flow.Sleep
        duration: PT5S
      - id: writes
        type: io.kestra.plugin.core.flow.Sequential
        tasks:
          - id: a
            type: io.kestra.plugin.core.kv.Set
            key: a
            value: "1"
          - id: b
            type: io.kestra.plugin.core.kv.Set
            key: b
            value: "2"
"""


def test_a_commit_in_between_keeps_the_effects_of_a_step_that_died_before_sending(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """b's RunTask is committed, its send crashes; the Sleep's timer runs a step before the redelivery. That
    step used to overwrite the outbox: b never ran and the execution hung."""
    original = SqsMessageBus.send
    crashed: list[str] = []

    def send(self: SqsMessageBus, messages: Any) -> None:
        runs = [m.body.get("taskRun", {}).get("taskId") for m in messages if m.body.get("kind") == "RunTask"]
        if "b" in runs and not crashed:
            crashed.append("b")
            raise RuntimeError("crash after the commit, before the send")
        original(self, messages)

    monkeypatch.setattr(SqsMessageBus, "send", send)
    _slow_redeliveries(monkeypatch)
    with LocalKite(inline_budget=0) as kite:
        kite.deploy(LOST_EFFECT)
        execution = kite.run("demo", "lost")
    assert crashed
    assert execution.state.current == S.SUCCESS
    assert _states(execution) == dict.fromkeys(("both", "nap", "writes", "a", "b"), "SUCCESS")


WIDE = """id: wide
namespace: demo
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: "{{ range(1, 300) }}"
    concurrencyLimit: 0
    tasks:
      - id: item
        type: io.kestra.plugin.core.debug.Return
        format: "{{ taskrun.value }}"
"""


def test_a_wide_fan_out_commits_in_whole_steps_and_a_crash_tears_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """300 task runs dispatched to workers used to be one commit over four transactions: a crash after the
    first left runs SUBMITTED that no worker would ever get, under an execution that ended SUCCESS."""
    transactions: Counter[int] = Counter()
    invocation = [0]
    crashed: list[int] = []

    def count(handler: Handler) -> Handler:
        def deliver(event: dict[str, Any], context: Any) -> Any:
            invocation[0] += 1
            try:
                return handler(event, context)
            finally:
                invocation[0] += 1  # the next batch, or the API, is another writer

        return deliver

    with LocalKite(inline_budget=0, wrap={"DispatcherFunction": count}) as kite:
        assert kite.stack is not None
        ddb = kite.stack.session.dynamodb

        def after(**_: Any) -> None:
            if not invocation[0]:
                return  # the API's create, before any step
            transactions[invocation[0]] += 1
            if transactions[invocation[0]] == 1 and len(crashed) < 3 and invocation[0] > 2:
                crashed.append(invocation[0])
                raise RuntimeError("crash after a transaction")

        ddb.meta.events.register("after-call.dynamodb.TransactWriteItems", after)
        kite.deploy(WIDE)
        execution = kite.run("demo", "wide", timeout_s=300)
    assert crashed
    assert max(transactions.values()) == 1  # every step, one transaction
    assert execution.state.current == S.SUCCESS
    assert Counter(r.state.current for r in execution.task_runs) == {S.SUCCESS: 301}  # 300 items, the loop


KV_ONCE = """id: once
namespace: demo
tasks:
  - id: write
    type: io.kestra.plugin.core.kv.Set
    key: only-once
    value: "1"
    overwrite: false
"""


def test_a_run_task_delivered_twice_runs_once() -> None:
    with LocalKite(inline_budget=0, wrap={"WorkerFunction": twice}) as kite:
        kite.deploy(KV_ONCE)
        execution = kite.run("demo", "once")
    assert execution.state.current == S.SUCCESS
    assert len(execution.task_runs.get(next(iter(r.id for r in execution.task_runs))).attempts) == 1


def test_a_run_task_sent_again_by_a_redelivered_step_runs_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The dispatcher sends, then dies before its message is deleted: the redelivered step sends the RunTask
    again to the (standard) worker queue, and the worker's claim stops the second run."""
    original = SqsMessageBus.send
    crashed: list[int] = []

    def send(self: SqsMessageBus, messages: Any) -> None:
        original(self, messages)
        if any(m.body.get("kind") == "RunTask" for m in messages) and not crashed:
            crashed.append(1)
            raise RuntimeError("crash after the send")

    monkeypatch.setattr(SqsMessageBus, "send", send)
    with LocalKite(inline_budget=0) as kite:
        kite.deploy(KV_ONCE)
        execution = kite.run("demo", "once")
    assert crashed
    assert execution.state.current == S.SUCCESS


SLOW = """id: slow
namespace: demo
tasks:
  - id: work
    type: io.kestra.plugin.core.debug.Return
    format: done
    timeout: PT1S
"""


class BeforeTheWorker:
    """Stands before the worker: the execution is killed, or the task's timeout fires, before it runs."""

    def __init__(self, action: str) -> None:
        self.action = action
        self.kite: LocalKite | None = None
        self.execution_id = ""

    def __call__(self, handler: Handler) -> Handler:
        def deliver(event: dict[str, Any], context: Any) -> Any:
            kite = self.kite
            assert kite is not None and kite.pump is not None and isinstance(kite.clock, VirtualClock)
            executions = kite.services.executions
            if self.action == "kill":
                executions.kill(self.execution_id)
            else:
                kite.clock.advance_to(kite.clock.now() + timedelta(seconds=2))
            kite.pump.run_until(lambda: executions.get(self.execution_id).state.current.terminated)
            return handler(event, context)

        return deliver


@pytest.mark.parametrize(("action", "state"), [("kill", S.KILLED), ("timeout", S.FAILED)])
def test_a_result_after_the_run_ended_is_ignored(action: str, state: StateType) -> None:
    """A KILLED run used to become SUCCESS when its worker's result came after the kill, and a timed-out one
    SUCCESS under a FAILED execution."""
    before = BeforeTheWorker(action)
    with LocalKite(inline_budget=0, wrap={"WorkerFunction": before}) as kite:
        before.kite = kite
        kite.deploy(SLOW)
        before.execution_id = kite.start_execution("demo", "slow").id
        kite.wait(before.execution_id)
        assert kite.pump is not None
        kite.pump.run_until(kite.pump.idle)  # the late result too has been delivered
        final = kite.services.executions.get(before.execution_id)
        logs = [entry.message for entry in kite.services.executions.logs(before.execution_id)]
    assert final.state.current == state
    assert _states(final) == {"work": state.value}
    assert any("late or duplicate result" in message for message in logs)


CHAIN = """id: chain
namespace: demo
tasks:
  - id: a
    type: io.kestra.plugin.core.debug.Return
    format: one
  - id: b
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.a.value }} two"
  - id: c
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.b.value }} three"
"""


def test_a_worker_whose_task_is_alone_makes_the_next_step_itself() -> None:
    """No result goes through the dispatch queue: each worker applies its own and sends the next task."""
    kinds: Counter[str] = Counter()

    def watch(handler: Handler) -> Handler:
        def deliver(event: dict[str, Any], context: Any) -> Any:
            kinds.update(json.loads(record["body"]).get("kind") for record in event["Records"])
            return handler(event, context)

        return deliver

    with LocalKite(inline_budget=0, wrap={"DispatcherFunction": watch}) as kite:
        kite.deploy(CHAIN)
        execution = kite.run("demo", "chain")
    assert execution.state.current == S.SUCCESS
    assert execution.task_runs.of_task("c")[0].outputs == {"value": "one two three"}
    assert "WorkerResult" not in kinds


def test_a_worker_that_dies_after_its_step_sends_what_it_wrote_when_its_run_task_comes_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """a's worker commits the step that starts b and dies before sending b's RunTask: a's RunTask comes
    back, finds its attempt claimed, and sends what the step wrote. Each task runs once."""
    original = SqsMessageBus.send
    crashed: list[str] = []

    def send(self: SqsMessageBus, messages: Any) -> None:
        runs = [m.body["taskRun"]["taskId"] for m in messages if m.body.get("kind") == "RunTask"]
        if "b" in runs and not crashed:
            crashed.append("b")
            raise RuntimeError("crash after the worker's commit, before its send")
        original(self, messages)

    monkeypatch.setattr(SqsMessageBus, "send", send)
    with LocalKite(inline_budget=0) as kite:
        kite.deploy(CHAIN)
        execution = kite.run("demo", "chain")
    assert crashed
    assert execution.state.current == S.SUCCESS
    assert [len(run.attempts) for run in execution.task_runs] == [1, 1, 1]
    assert execution.task_runs.of_task("c")[0].outputs == {"value": "one two three"}
