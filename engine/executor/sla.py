"""Workflow SLAs (spec part 2 §8): MAX_DURATION on a timer, EXECUTION_ASSERTION on every pass.

A violation is logged at WARN and adds the SLA's labels; FAIL and CANCEL end the execution at once in that
state. Following the spec's recommendation, every task run that has not ended takes that state (a waiting
subflow's child is killed) and the ended ones are left alone; errors and finally do not run, afterExecution
does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.executor import subflows
from engine.executor.events import TIMER_SLA, StartTimer
from engine.expressions import ExpressionError, is_truthy
from engine.flow import Sla, label_pairs
from engine.model.durations import parse_duration
from engine.model.labels import merge_labels
from engine.model.serde import format_duration
from engine.model.state import StateType

if TYPE_CHECKING:
    from engine.executor.advance import Executor

S = StateType
_ENDS = {"FAIL": S.FAILED, "CANCEL": S.CANCELLED}


def start_timers(ex: Executor) -> None:
    """Deadlines count from the execution's start, so time spent QUEUED counts (and a restarted old
    execution is late at once)."""
    for sla in ex.flow.sla or ():
        if sla.type == "MAX_DURATION" and sla.duration:
            deadline = ex.execution.state.start_date + parse_duration(sla.duration)
            ex.effects.append(StartTimer(TIMER_SLA, deadline, sla_id=sla.id))


def deadline_reached(ex: Executor, sla_id: str | None) -> None:
    if ex.execution.state.current.terminated:
        return
    sla = next((s for s in ex.flow.sla or () if s.id == sla_id and s.type == "MAX_DURATION"), None)
    if sla is None or not sla.duration:
        return  # the SLA is gone from the flow
    limit = parse_duration(sla.duration)
    elapsed = ex.now() - ex.execution.state.start_date
    if elapsed >= limit:
        reason = (
            f"execution duration of {format_duration(elapsed)} exceed the maximum duration of {sla.duration}."
        )
        violated(ex, sla, reason)


def check_assertions(ex: Executor, logged: set[str]) -> None:
    """Only the first violated SLA that ends the execution acts; the others are logged."""
    if ex.execution.state.current.terminated:
        return
    variables = ex.execution_variables()
    for sla in ex.flow.sla or ():
        if sla.type != "EXECUTION_ASSERTION" or not sla.assert_:
            continue
        try:
            holds = is_truthy(ex.ctx.renderer.render(sla.assert_, variables, ex.services))
        except ExpressionError as exc:
            if sla.id not in logged:
                logged.add(sla.id)
                ex.log("ERROR", f"Ignoring SLA '{sla.id}' because of the error: {exc}")
            continue
        if not holds:
            violated(ex, sla, f"assertion is false: {sla.assert_}.", quiet=sla.id in logged)
            logged.add(sla.id)
        if ex.execution.state.current.terminated:
            return


def violated(ex: Executor, sla: Sla, reason: str, *, quiet: bool = False) -> None:
    if not quiet:
        ex.log("WARN", f"SLA '{sla.id}' violated: {reason}")
    execution = ex.execution
    added = label_pairs(sla.labels)
    current = execution.label_map()
    if added and any(current.get(key) != value for key, value in added):
        execution.labels = merge_labels(current.items(), added)
        ex.header_changed = True
    end = _ENDS.get(sla.behavior)
    if end is None:
        return
    if end == S.FAILED:
        ex.log("ERROR", f"Execution failed due to SLA '{sla.id}' violated: {reason}")
    now = ex.now()
    for run in list(execution.task_runs):
        if run.state.current.terminated:
            continue
        subflows.kill_child(ex, run)
        ex.put(run.terminate(end, now) if run.attempts else run.with_state(end, now))
    ex.set_execution_state(end)
