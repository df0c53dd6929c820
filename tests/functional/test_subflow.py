"""Subflow (spec part 1 §12, part 2 §1.3, §13.3, §14.1): on the embedded stack and in memory."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.executor.events import Kill, SubflowEnded
from engine.flow.loader import InvalidFlowError
from engine.memory.runner import InMemoryRunner
from engine.model.execution import Execution
from engine.model.state import StateType
from engine.ports import QueueName
from engine.services.messages import decode_event
from infra.embedded.local import LocalKite
from tests.functional.faults import on_every_function, twice

SUBFLOW = "io.kestra.plugin.core.flow.Subflow"
LOG = "io.kestra.plugin.core.log.Log"

CHILD = """
id: child
namespace: demo
labels: {team: child-team}
inputs:
  - {id: n, type: INT}
  - {id: fail, type: BOOLEAN, defaults: false}
tasks:
  - id: boom
    type: io.kestra.plugin.core.execution.Fail
    runIf: "{{ inputs.fail and (labels.system.restarted ?? 'false') != 'true' }}"
  - id: twice
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.n * 2 }}"
outputs:
  - {id: doubled, type: INT, value: "{{ outputs.twice.value }}"}
"""

PARENT = """
id: parent
namespace: demo
labels: {team: parent-team, owner: me}
inputs:
  - {id: fail, type: BOOLEAN, defaults: false}
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: demo
    flowId: child
    inputs: {n: "{{ 20 + 1 }}", fail: "{{ inputs.fail }}"}
    labels: {caller: "{{ flow.id }}"}
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.call.outputs.doubled }} from {{ outputs.call.state }}"
"""


def _children(executions: list[Execution], parent: Execution) -> list[Execution]:
    children = [e for e in executions if e.trigger_execution_id() == parent.id]
    return sorted(children, key=lambda e: e.state.start_date)


def _all(kite: LocalKite | InMemoryRunner) -> list[Execution]:
    store = kite.services.store
    return [kite.services.executions.get(header.id) for header in store.search()]


def _check_success(parent: Execution, executions: list[Execution]) -> None:
    assert parent.state.current == "SUCCESS"
    (child,) = _children(executions, parent)
    call = parent.task_runs.of_task("call")[0]
    assert call.outputs == {"executionId": child.id, "state": "SUCCESS", "outputs": {"doubled": 42}}
    assert parent.task_runs.of_task("after")[0].outputs == {"value": "42 from SUCCESS"}
    assert child.inputs == {"n": 21, "fail": False}
    assert child.trigger == {
        "id": "call",
        "type": "io.kestra.plugin.core.flow.Subflow",
        "variables": {
            "executionId": parent.id,
            "namespace": "demo",
            "flowId": "parent",
            "flowRevision": 1,
            "taskRunId": call.id,
            "taskId": "call",
        },
    }
    # Not inherited: only the parent's system labels, the task's labels and the child flow's own.
    assert child.label_map() == {
        "team": "child-team",
        "system.correlationId": parent.id,
        "caller": "parent",
    }


def test_parent_waits_for_the_child_on_the_embedded_stack() -> None:
    with LocalKite() as kite:
        kite.deploy(CHILD)
        kite.deploy(PARENT)
        parent = kite.run("demo", "parent")
        _check_success(parent, _all(kite))


def test_every_message_delivered_twice_still_makes_one_child() -> None:
    with LocalKite(inline_budget=0, wrap=on_every_function(twice)) as kite:
        kite.deploy(CHILD)
        kite.deploy(PARENT)
        parent = kite.run("demo", "parent")
        _check_success(parent, _all(kite))


def _runner(*sources: str) -> InMemoryRunner:
    runner = InMemoryRunner()
    for source in sources:
        runner.deploy(source)
    return runner


def test_a_failed_child_fails_the_task_run_and_is_retried_with_a_new_child() -> None:
    parent_flow = PARENT.replace(
        "    labels: {caller",
        "    retry: {type: constant, interval: PT1M, maxAttempts: 2}\n    labels: {caller",
    )
    runner = _runner(CHILD, parent_flow)
    parent = runner.run("demo", "parent", {"fail": True})
    assert parent.state.current == "FAILED"
    call = parent.task_runs.of_task("call")[0]
    assert [a.state.current.value for a in call.attempts] == ["FAILED", "FAILED"]
    children = _children(_all(runner), parent)
    assert [c.state.current.value for c in children] == ["FAILED", "FAILED"]
    assert call.outputs["executionId"] == children[-1].id != children[0].id
    messages = [entry.message for entry in runner.services.executions.logs(parent.id)]
    assert f"Subflow execution '{children[0].id}' ends in FAILED state" in messages


@pytest.mark.parametrize(
    ("options", "state"),
    [
        ("transmitFailed: false", "SUCCESS"),
        ("allowFailure: true", "WARNING"),
        ("allowFailure: true\n    allowWarning: true", "SUCCESS"),
        ("wait: false", "SUCCESS"),
    ],
)
def test_how_the_child_state_reaches_the_parent(options: str, state: str) -> None:
    flow = PARENT.replace("    labels: {caller", f"    {options}\n    labels: {{caller")
    runner = _runner(
        CHILD, flow.replace("{{ outputs.call.outputs.doubled }} from {{ outputs.call.state }}", "x")
    )
    parent = runner.run("demo", "parent", {"fail": True})
    assert parent.state.current == state
    call = parent.task_runs.of_task("call")[0]
    (child,) = _children(_all(runner), parent)
    assert child.state.current == "FAILED"
    if "wait: false" in options:
        assert call.outputs == {"executionId": child.id}  # ended as soon as the child was created
    else:
        assert call.outputs["state"] == "FAILED"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("flowId: missing", "Unable to find flow 'demo'.'missing' with revision '0'"),
        ("flowId: child\n    inputs: {n: abc}", "Invalid value for input `n`"),
        ("flowId: off", "Cannot execute a flow which is disabled"),
        ("flowId: child\n    revision: 7", "Unable to find flow 'demo'.'child' with revision '7'"),
        ('flowId: "{{ flow.id }}"', "Recursive call to flow [demo.caller]"),
    ],
)
def test_a_child_that_cannot_start_fails_the_task_run(call: str, message: str) -> None:
    disabled = f"id: off\nnamespace: demo\ndisabled: true\ntasks:\n  - {{id: x, type: {LOG}, message: x}}\n"
    flow = f"id: caller\nnamespace: demo\ntasks:\n  - id: call\n    type: {SUBFLOW}\n    namespace: demo\n"
    flow += f"    {call}\n"
    runner = _runner(CHILD, disabled, flow)
    execution = runner.run("demo", "caller")
    assert execution.state.current == "FAILED"
    assert execution.task_runs.of_task("call")[0].state.current == "FAILED"
    logs = [entry.message for entry in runner.services.executions.logs(execution.id)]
    assert any(message in line for line in logs), logs
    assert len(_all(runner)) == 1


@pytest.mark.parametrize(
    ("behavior", "children", "message"),
    [
        ("BLOCK_EXECUTION", [], "Flow execution blocked: one or more condition checks evaluated to false."),
        ("FAIL_EXECUTION", ["FAILED"], "Flow execution failed because one or more condition checks"),
    ],
)
def test_the_child_flow_checks_apply_to_a_subflow_call(
    behavior: str, children: list[str], message: str
) -> None:
    guarded = (
        "id: guarded\nnamespace: demo\ninputs:\n  - {id: env, type: STRING}\nchecks:\n"
        f"  - {{condition: \"{{{{ inputs.env != 'prod' }}}}\", message: no prod, behavior: {behavior}}}\n"
        f"tasks:\n  - {{id: x, type: {LOG}, message: x}}\n"
    )
    caller = (
        f"id: caller\nnamespace: demo\ntasks:\n  - id: call\n    type: {SUBFLOW}\n    namespace: demo\n"
        "    flowId: guarded\n    inputs: {env: prod}\n"
    )
    runner = _runner(guarded, caller)
    execution = runner.run("demo", "caller")
    assert execution.task_runs.of_task("call")[0].state.current == "FAILED"
    assert [c.state.current for c in _children(_all(runner), execution)] == children
    logs = [entry.message for entry in runner.services.executions.logs(execution.id)]
    assert any(message in line for line in logs), logs
    assert not [c for c in _children(_all(runner), execution) if c.task_runs]


def test_a_static_call_to_its_own_flow_is_refused_at_deploy() -> None:
    flow = (
        f"id: me\nnamespace: demo\ntasks:\n  - {{id: call, type: {SUBFLOW}, namespace: demo, flowId: me}}\n"
    )
    with pytest.raises(InvalidFlowError, match=r"Recursive call to flow \[demo.me\]"):
        _runner(flow)


def test_inherited_labels_give_way_to_the_child_flow_labels() -> None:
    runner = _runner(
        CHILD, PARENT.replace("    labels: {caller", "    inheritLabels: true\n    labels: {caller")
    )
    parent = runner.run("demo", "parent", labels=[("run", "nightly")])
    (child,) = _children(_all(runner), parent)
    assert child.label_map() == {
        "team": "child-team",
        "owner": "me",
        "run": "nightly",
        "system.correlationId": parent.id,
        "caller": "parent",
    }


SLOW_CHILD = """
id: slow
namespace: demo
tasks:
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT1H
"""

SLOW_PARENT = """
id: waits
namespace: demo
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: demo
    flowId: slow
afterExecution:
  - id: audit
    type: io.kestra.plugin.core.debug.Return
    format: "{{ execution.state }}"
"""


def test_killing_the_parent_kills_the_child_on_the_embedded_stack() -> None:
    with LocalKite() as kite:
        kite.deploy(SLOW_CHILD)
        kite.deploy(SLOW_PARENT)
        started = kite.start_execution("demo", "waits")
        assert kite.pump is not None
        executions = kite.services.executions

        def child_sleeping() -> bool:
            children = _children(_all(kite), executions.get(started.id))
            return bool(children) and bool(children[0].task_runs.in_state("RUNNING"))  # type: ignore[arg-type]

        kite.pump.run_until(child_sleeping)
        executions.kill(started.id)
        parent = kite.wait(started.id)
        (child,) = _children(_all(kite), parent)
        child = kite.wait(child.id)
    assert parent.state.current == "KILLED"
    assert {r.task_id: r.state.current.value for r in parent.task_runs} == {
        "call": "KILLED",
        "audit": "SUCCESS",
    }
    assert child.state.current == "KILLED"
    assert child.task_runs.of_task("nap")[0].state.current == "KILLED"


SCHEDULED_PARENT = """
id: later
namespace: demo
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: demo
    flowId: child
    inputs: {n: 1}
    scheduleDate: "{{ execution.startDate | dateAdd(1, 'HOURS') }}"
"""


def _scheduled_child(kite: LocalKite, parent_id: str) -> Execution:
    """The parent's child, once the parent's first steps are done: it exists at once, waiting CREATED."""
    assert kite.pump is not None
    executions = kite.services.executions
    pump = kite.pump
    pump.run_until(lambda: bool(_children(_all(kite), executions.get(parent_id))))
    pump.run_until(lambda: not pump.ready())  # what is due now, without moving the clock to what comes later
    (child,) = _children(_all(kite), executions.get(parent_id))
    return child


def test_a_child_with_a_schedule_date_exists_at_once_and_starts_at_that_date() -> None:
    with LocalKite(fast_forward=True, tick=False) as kite:
        kite.deploy(CHILD)
        kite.deploy(SCHEDULED_PARENT)
        started = kite.start_execution("demo", "later")
        child = _scheduled_child(kite, started.id)
        assert child.state.current == "CREATED" and not child.task_runs
        assert child.schedule_date == started.state.start_date + timedelta(hours=1)
        assert kite.services.executions.get(started.id).state.current == "RUNNING"
        parent = kite.wait(started.id)
        child = kite.services.executions.get(child.id)
    assert parent.state.current == "SUCCESS"
    assert child.state.current == "SUCCESS"
    running = next(h for h in child.state.histories if h.state == "RUNNING")
    assert child.schedule_date is not None and running.date >= child.schedule_date


def test_killing_the_parent_kills_a_child_waiting_for_its_schedule_date() -> None:
    """The child exists while it waits: the kill reaches it, and it never runs."""
    with LocalKite(fast_forward=True, tick=False) as kite:
        kite.deploy(CHILD)
        kite.deploy(SCHEDULED_PARENT)
        started = kite.start_execution("demo", "later")
        child = _scheduled_child(kite, started.id)
        kite.services.executions.kill(started.id)
        parent = kite.wait(started.id)
        assert kite.pump is not None
        pump = kite.pump
        pump.run_until(lambda: kite.services.executions.get(child.id).state.current.terminated)
        pump.run_until(pump.idle)  # the clock passes the schedule date: its timer finds the child ended
        child = kite.services.executions.get(child.id)
    assert parent.state.current == "KILLED"
    assert child.state.current == "KILLED" and not child.task_runs


def test_a_child_waiting_for_its_schedule_date_holds_no_concurrency_slot() -> None:
    limited = CHILD.replace("tasks:", "concurrency: {limit: 1, behavior: QUEUE}\ntasks:", 1)
    with LocalKite(fast_forward=True, tick=False) as kite:
        kite.deploy(limited)
        kite.deploy(SCHEDULED_PARENT)
        started = kite.start_execution("demo", "later")
        waiting = _scheduled_child(kite, started.id)
        direct = kite.start_execution("demo", "child", {"n": 2})
        assert kite.pump is not None
        kite.pump.run_until(lambda: kite.services.executions.get(direct.id).state.current.terminated)
        assert kite.services.executions.get(waiting.id).state.current == "CREATED"
        parent = kite.wait(started.id)
        direct = kite.services.executions.get(direct.id)
    assert [h.state.value for h in direct.state.histories] == ["CREATED", "RUNNING", "SUCCESS"]
    assert parent.state.current == "SUCCESS"


FIRE_AND_FORGET = """
id: forgets
namespace: demo
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: demo
    flowId: slow
    wait: false
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: "{{ inputs.nap }}"
inputs:
  - {id: nap, type: DURATION}
"""


def _started_with_slow_children(
    flow: str, flow_id: str, inputs: dict[str, str] | None = None
) -> tuple[InMemoryRunner, Execution, list[Execution]]:
    """A parent of `flow` run as far as it goes now, and the children it started (each sleeps an hour)."""
    runner = _runner(SLOW_CHILD, flow)
    started = runner.services.executions.create("demo", flow_id, inputs)
    runner.drain_now()
    parent = runner.services.executions.get(started.id)
    return runner, parent, _children(_all(runner), parent)


@pytest.mark.parametrize("nap", ["PT0S", "PT30M"], ids=["parent-ended", "parent-running"])
def test_a_kill_reaches_a_child_the_parent_does_not_wait_for(nap: str) -> None:
    """Kestra's kill reaches every execution the killed one started, even once the killed one has ended."""
    runner, parent, (child,) = _started_with_slow_children(FIRE_AND_FORGET, "forgets", {"nap": nap})
    assert parent.state.current == ("SUCCESS" if nap == "PT0S" else "RUNNING")
    assert child.state.current == "RUNNING"
    runner.services.executions.kill(parent.id)
    runner.drain_now()
    parent = runner.services.executions.get(parent.id)
    child = runner.services.executions.get(child.id)
    assert parent.state.current == ("SUCCESS" if nap == "PT0S" else "KILLED")
    assert child.state.current == "KILLED"


FANS_OUT = """
id: fans
namespace: demo
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: "{{ range(1, 45) }}"
    concurrencyLimit: 0
    tasks:
      - id: call
        type: io.kestra.plugin.core.flow.Subflow
        namespace: demo
        flowId: slow
        wait: false
"""


def test_a_kill_tells_the_children_it_does_not_wait_for_twenty_a_step() -> None:
    runner, parent, children = _started_with_slow_children(FANS_OUT, "fans")
    assert parent.state.current == "SUCCESS"
    assert len(children) == 45 and {c.state.current.value for c in children} == {"RUNNING"}
    runner.services.dispatcher.handle(parent.id, [Kill()])
    sent = [decode_event(message.body) for message in runner.bus.sent[QueueName.DISPATCH]]
    told = {execution_id for execution_id, event in sent if event == Kill()}
    assert len(told) == 20 and told < {c.id for c in children}
    # The rest in the next steps: the parent tells itself to go on after the last task run it told about.
    assert [i for i, event in sent if isinstance(event, Kill) and event.after is not None] == [parent.id]
    runner.drain_now()
    states = {runner.services.executions.get(c.id).state.current.value for c in children}
    assert states == {"KILLED"}
    assert runner.services.executions.get(parent.id).state.current == "SUCCESS"


def test_a_kill_that_does_not_cascade_leaves_the_child_running_to_its_end() -> None:
    """Kestra's `isOnKillCascade=false`: the parent ends KILLED, its child goes on; the child's end
    revives nothing."""
    runner = _runner(SLOW_CHILD, SLOW_PARENT)
    started = runner.services.executions.create("demo", "waits")
    runner.drain_now()
    runner.services.executions.kill(started.id, cascade=False)
    runner.drain_now()
    parent = runner.services.executions.get(started.id)
    (child,) = _children(_all(runner), parent)
    assert (parent.state.current, child.state.current) == ("KILLED", "RUNNING")
    runner.drain()  # the child's sleep ends
    child = runner.services.executions.get(child.id)
    parent = runner.services.executions.get(started.id)
    assert (parent.state.current, child.state.current) == ("KILLED", "SUCCESS")
    assert parent.task_runs.of_task("call")[0].state.current == "KILLED"


def test_no_notice_revives_a_killed_parent() -> None:
    runner = _runner(SLOW_CHILD, SLOW_PARENT)
    started = runner.services.executions.create("demo", "waits")
    runner.drain_now()
    runner.services.executions.kill(started.id)
    runner.drain()  # the child's sleep timer fires an hour later: the killed child stays killed
    parent = runner.services.executions.get(started.id)
    (child,) = _children(_all(runner), parent)
    assert (parent.state.current, child.state.current) == ("KILLED", "KILLED")
    assert not runner.bus.sent[QueueName.DISPATCH]


@pytest.mark.parametrize("behavior", ["RETRY_FAILED", "NEW_EXECUTION"])
def test_restarting_the_parent_restarts_the_child(behavior: str) -> None:
    flow = PARENT.replace("    labels: {caller", f"    restartBehavior: {behavior}\n    labels: {{caller")
    with LocalKite() as kite:
        kite.deploy(CHILD)
        kite.deploy(flow)
        first = kite.run("demo", "parent", {"fail": True})
        assert first.state.current == "FAILED"
        (failed_child,) = _children(_all(kite), first)
        kite.services.executions.restart(first.id)
        parent = kite.wait(first.id)
        children = _children(_all(kite), parent)
    assert parent.state.current == "SUCCESS"
    call = parent.task_runs.of_task("call")[0]
    assert [a.state.current.value for a in call.attempts] == ["FAILED", "SUCCESS"]
    if behavior == "RETRY_FAILED":  # the failed child ran again, in place
        (child,) = children
        assert child.id == failed_child.id
        assert [h.state.value for h in child.state.histories][-3:] == ["RESTARTED", "RUNNING", "SUCCESS"]
    else:  # a second child was created; the first stays failed
        assert [c.state.current.value for c in children] == ["FAILED", "SUCCESS"]
        child = children[1]
    assert call.outputs == {"executionId": child.id, "state": "SUCCESS", "outputs": {"doubled": 42}}


def test_a_notice_of_the_end_before_a_restart_in_place_is_not_taken_for_the_new_one() -> None:
    """At least once: the failed child's end notice, delivered again after the parent restarted that child
    in place (RETRY_FAILED), must not end the task run that now waits for its new end."""
    runner = _runner(
        CHILD, PARENT.replace("    labels: {caller", "    restartBehavior: RETRY_FAILED\n    labels: {caller")
    )
    first = runner.run("demo", "parent", {"fail": True})
    assert first.state.current == "FAILED"
    call = first.task_runs.of_task("call")[0]
    (child,) = _children(_all(runner), first)
    stale = SubflowEnded(
        call.id, child.id, StateType.FAILED, None, None, task_run_attempt=call.attempt_number
    )
    runner.services.executions.restart(first.id)
    for message in runner.bus.drain(QueueName.DISPATCH):  # the parent's restart alone: the child's waits
        execution_id, event = decode_event(message.body)
        runner.services.dispatcher.handle(execution_id, [event])
    runner.services.dispatcher.handle(first.id, [stale])
    waiting = runner.services.executions.get(first.id).task_runs.of_task("call")[0]
    assert waiting.state.current == "RUNNING"
    runner.drain()
    parent = runner.services.executions.get(first.id)
    assert parent.state.current == "SUCCESS"
    assert [a.state.current.value for a in parent.task_runs.of_task("call")[0].attempts] == [
        "FAILED",
        "SUCCESS",
    ]
