"""Workflow SLAs (spec part 2 §8): MAX_DURATION on a timer, EXECUTION_ASSERTION on every pass.

A violation is logged at WARN and adds the SLA's labels; FAIL and CANCEL end the execution at once in that
state. Following the spec's recommendation, every task run that has not ended takes that state (a waiting
subflow's child is killed) and the ended ones are left alone; errors and finally do not run, afterExecution
does.
"""

from __future__ import annotations

from engine.executor import lifecycle
from engine.executor.events import StartTimer, TimerKind
from engine.executor.step import Step
from engine.expressions import ExpressionError, is_truthy
from engine.flow.model import Sla, label_pairs
from engine.model.durations import parse_duration
from engine.model.labels import merge_labels
from engine.model.serde import format_duration
from engine.model.state import StateType

S = StateType
_ENDS = {"FAIL": S.FAILED, "CANCEL": S.CANCELLED}


def start_timers(step: Step) -> None:
    """Deadlines count from the execution's start, so time spent QUEUED counts (and a restarted old
    execution is late at once)."""
    for sla in step.flow.sla or ():
        if sla.type == "MAX_DURATION" and sla.duration:
            deadline = step.execution.state.start_date + parse_duration(sla.duration)
            step.effects.append(StartTimer(TimerKind.SLA, deadline, sla_id=sla.id))


def deadline_reached(step: Step, sla_id: str | None) -> None:
    if step.execution.state.current.terminated:
        return
    sla = next((s for s in step.flow.sla or () if s.id == sla_id and s.type == "MAX_DURATION"), None)
    if sla is None or not sla.duration:
        return  # the SLA is gone from the flow
    limit = parse_duration(sla.duration)
    elapsed = step.now() - step.execution.state.start_date
    if elapsed >= limit:
        reason = (
            f"execution duration of {format_duration(elapsed)} exceed the maximum duration of {sla.duration}."
        )
        violated(step, sla, reason)


def check_assertions(step: Step) -> None:
    """Only the first violated SLA that ends the execution acts; the others are logged."""
    if step.execution.state.current.terminated:
        return
    logged = step.sla_logged  # reported once per step, however many passes run
    variables = step.execution_variables()
    for sla in step.flow.sla or ():
        if sla.type != "EXECUTION_ASSERTION" or not sla.assert_:
            continue
        try:
            holds = is_truthy(step.ctx.renderer.render(sla.assert_, variables, step.services))
        except ExpressionError as exc:
            if sla.id not in logged:
                logged.add(sla.id)
                step.log("ERROR", f"Ignoring SLA '{sla.id}' because of the error: {exc}")
            continue
        if not holds:
            violated(step, sla, f"assertion is false: {sla.assert_}.", quiet=sla.id in logged)
            logged.add(sla.id)
        if step.execution.state.current.terminated:
            return


def violated(step: Step, sla: Sla, reason: str, *, quiet: bool = False) -> None:
    if not quiet:
        step.log("WARN", f"SLA '{sla.id}' violated: {reason}")
    execution = step.execution
    added = label_pairs(sla.labels)
    current = execution.label_map()
    if added and any(current.get(key) != value for key, value in added):
        execution.labels = merge_labels(current.items(), added)
        step.header_moved()
    end = _ENDS.get(sla.behavior)
    if end is None:
        return
    if end == S.FAILED:
        step.log("ERROR", f"Execution failed due to SLA '{sla.id}' violated: {reason}")
    lifecycle.end_open_runs(step, end)
    step.set_execution_state(end)
