"""Flow concurrency limits (spec part 2 §4) on the embedded stack: slots never over-granted, never leaked."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine.model.execution import Execution
from engine.model.state import StateType
from engine.services.concurrency_gate import flow_key
from infra.aws.concurrency_store import DynamoConcurrencyStore
from infra.embedded.local import LocalKite
from tests.functional.faults import on_every_function, twice

LIMIT = 2
FLOW = f"""
id: limited
namespace: demo
concurrency:
  limit: {LIMIT}
  behavior: QUEUE
inputs:
  - id: end
    type: SELECT
    values: [sleep, fail, exit-killed, exit-warning, pause]
tasks:
  - id: work
    type: io.kestra.plugin.core.flow.Switch
    value: "{{{{ inputs.end }}}}"
    cases:
      sleep:
        - {{id: nap, type: io.kestra.plugin.core.flow.Sleep, duration: PT1M}}
      fail:
        - {{id: boom, type: io.kestra.plugin.core.execution.Fail}}
      exit-killed:
        - {{id: stop, type: io.kestra.plugin.core.execution.Exit, state: KILLED}}
      exit-warning:
        - {{id: warn, type: io.kestra.plugin.core.execution.Exit, state: WARNING}}
      pause:
        - {{id: hold, type: io.kestra.plugin.core.flow.Pause, pauseDuration: PT2M}}
afterExecution:
  - id: audit
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ execution.state }}}}"
"""
# Every way out: success after a wait, failure, Exit KILLED (no KILLING), Exit WARNING, a pause, and kills.
ENDS = [
    "sleep",
    "fail",
    "exit-killed",
    "sleep",
    "exit-warning",
    "pause",
    "sleep",
    "fail",
    "sleep",
    "sleep",
] * 2
HOLDING = {StateType.RUNNING, StateType.PAUSED, StateType.RETRYING, StateType.KILLING, StateType.RESTARTED}


@pytest.mark.parametrize("duplicated", [False, True], ids=["once", "every-message-twice"])
def test_many_starts_never_exceed_the_limit_and_the_queue_drains(duplicated: bool) -> None:
    wrap = twice if duplicated else (lambda handler: handler)
    with LocalKite(wrap=on_every_function(wrap)) as kite:
        kite.deploy(FLOW)
        executions = kite.services.executions
        started = [executions.create("demo", "limited", {"end": end}) for end in ENDS]
        slots = DynamoConcurrencyStore(kite.stack.session, kite.stack.settings.state_table)  # type: ignore[union-attr]
        peak: list[int] = []
        killed: list[str] = []

        def observe() -> bool:
            current = [executions.get(e.id) for e in started]
            holding = [e for e in current if _holds(executions, e)]
            peak.append(len(holding))
            assert len(holding) <= LIMIT, [(e.id, e.state.current.value) for e in holding]
            # Kill one running and one queued execution along the way.
            if not killed:
                running = [e for e in current if e.state.current == StateType.RUNNING]
                queued = [e for e in current if e.state.current == StateType.QUEUED]
                if running and queued:
                    for victim in (running[0], queued[-1]):
                        executions.kill(victim.id)
                        killed.append(victim.id)
            return all(executions.fully_terminated(e) for e in current)

        assert kite.pump is not None
        kite.pump.run_until(observe, timeout_s=300)
        kite.pump.run_until(lambda: not kite.pump.ready())  # type: ignore[union-attr]  # the last releases
        final = [executions.get(e.id) for e in started]
        flow = flow_key(final[0])
        assert slots.acquire(flow, "probe", LIMIT) == (True, 1)  # every slot was given back
        assert slots.queued(flow, 100) == []  # and the queue drained
    assert max(peak) == LIMIT
    assert len(killed) == 2
    states = [e.state.current.value for e in final]
    assert all(state in {"SUCCESS", "FAILED", "KILLED", "WARNING"} for state in states), states
    assert (
        sum(1 for e in final if StateType.QUEUED in [h.state for h in e.state.histories])
        >= len(ENDS) - LIMIT - 1
    )


def _holds(executions: Any, execution: Execution) -> bool:
    """Admitted and not fully terminated (afterExecution still running counts)."""
    state = execution.state.current
    return state in HOLDING or (
        state.terminated and not executions.fully_terminated(execution) and _admitted(execution)
    )


def _admitted(execution: Execution) -> bool:
    return StateType.RUNNING in [h.state for h in execution.state.histories]


HELD = """
id: held
namespace: demo
concurrency:
  limit: 1
  behavior: QUEUE
inputs:
  - id: hold
    type: BOOLEAN
    defaults: false
tasks:
  - id: maybe
    type: io.kestra.plugin.core.flow.If
    condition: "{{ inputs.hold }}"
    then:
      - id: wait
        type: io.kestra.plugin.core.flow.Pause
  - id: done
    type: io.kestra.plugin.core.debug.Return
    format: ok
"""


@pytest.mark.parametrize("duplicated", [False, True], ids=["once", "every-message-twice"])
def test_unqueued_and_forced_executions_run_outside_the_limit_and_leave_nothing_behind(
    duplicated: bool,
) -> None:
    wrap = twice if duplicated else (lambda handler: handler)
    with LocalKite(wrap=on_every_function(wrap)) as kite:
        kite.deploy(HELD)
        executions = kite.services.executions
        assert kite.pump is not None

        S = StateType

        def state(execution_id: str) -> StateType:
            return executions.get(execution_id).state.current

        holder = executions.create("demo", "held", {"hold": True})
        kite.wait(holder.id, until_paused=True)
        queued = executions.create("demo", "held", {"hold": True})
        kite.pump.run_until(lambda: state(queued.id) == StateType.QUEUED)
        later = kite.services.clock.now() + timedelta(days=1)
        scheduled = executions.create("demo", "held", schedule_date=later)

        executions.unqueue(queued.id)
        executions.force_run(scheduled.id)  # before its date, and without a slot
        forced = kite.wait(scheduled.id)
        assert forced.state.current == StateType.SUCCESS
        assert forced.state.histories[1].date < later
        paused = kite.wait(queued.id, until_paused=True)  # running, without a slot, up to its pause
        assert [h.state for h in paused.state.histories][:3] == [S.CREATED, S.QUEUED, S.RUNNING]
        assert any("unqueued to RUNNING by hand" in entry.message for entry in executions.logs(queued.id))
        behind = executions.create("demo", "held")
        kite.pump.run_until(lambda: state(behind.id) == StateType.QUEUED)  # the slot is still the holder's

        # The holder's end hands its slot to the next in the queue, which the unqueued one is no longer.
        executions.resume(holder.id)
        assert kite.wait(holder.id).state.current == StateType.SUCCESS
        assert kite.wait(behind.id).state.current == StateType.SUCCESS
        executions.resume(queued.id)
        assert kite.wait(queued.id).state.current == StateType.SUCCESS
        kite.pump.run_until(lambda: not kite.pump.ready())  # type: ignore[union-attr]  # the release
        slots = DynamoConcurrencyStore(kite.stack.session, kite.stack.settings.state_table)  # type: ignore[union-attr]
        flow = flow_key(paused)
        assert slots.acquire(flow, "probe", 1) == (True, 1)  # every slot given back
        assert slots.queued(flow, 10) == []  # and no queue entry left for the unqueued one
