"""`advance()`: apply events to an execution and run executor passes until nothing changes.

Pure: time comes from the Clock port, task-run ids are derived from the execution id and a sequence
number, and nothing is read or written. Each event goes to the concern that owns it; the passes follow
spec part 2 §12.6 (`passes.py`).
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.executor import attempts, batches, dispatch, lifecycle, pauses, restarts, sla, subflows
from engine.executor.context import EngineContext
from engine.executor.events import (
    Admission,
    AdvanceResult,
    AttemptLost,
    Continue,
    Event,
    ExecutionEnded,
    Kill,
    Pause,
    Poisoned,
    ReleaseSlot,
    Restart,
    Resume,
    SetTaskRunState,
    StartExecution,
    SubflowEnded,
    TimerFired,
    TimerKind,
    Unqueue,
    Wake,
)
from engine.executor.passes import run_passes
from engine.executor.step import Step, fully_terminated
from engine.flow.graph import FlowGraph
from engine.model.execution import Execution
from engine.model.state import StateType
from engine.runtime.attempt import WorkerResult

S = StateType


class UnroutableEventError(TypeError):
    """An event `advance()` has no rule for: a programming error, never silently dropped."""


def advance(
    graph: FlowGraph,
    execution: Execution,
    events: Iterable[Event],
    ctx: EngineContext,
    *,
    passes: bool = True,
) -> AdvanceResult:
    """`passes=False` applies the events only: a command the API answers with the changed execution
    (Kestra's restart returns it RESTARTED) before the dispatcher runs it."""
    step = Step(graph, execution, ctx)
    later: list[Event] = []
    for event in events:
        if passes and isinstance(event, Resume) and step.execution.state.current == S.RESTARTED:
            # Sent before a restart of the paused execution, it is for the pause the passes are about to
            # start again: it applies once they have.
            later.append(event)
            continue
        apply(step, event)
    if passes:
        run_passes(step)
        if later:
            for event in later:
                apply(step, event)
            run_passes(step)
    return _result(step)


def apply(step: Step, event: Event) -> None:
    match event:
        case Admission():
            lifecycle.admit(step, event)
        case WorkerResult():
            attempts.merge(step, event)
        case AttemptLost():
            attempts.lost(step, event)
        case TimerFired():
            _timer(step, event)
        case Kill():
            lifecycle.kill(step, event)
        case Resume():
            pauses.resume(step, event)
        case Pause():
            pauses.pause_by_hand(step)
        case Unqueue():
            lifecycle.unqueue(step, event)
        case Restart():
            restarts.restart(step, event)
        case SetTaskRunState():
            restarts.set_task_run_state(step, event)
        case SubflowEnded(iteration=None):
            subflows.child_ended(step, event)
        case SubflowEnded():
            batches.child_ended(step, event)
        case Poisoned():
            lifecycle.poisoned(step, event)
        case StartExecution():
            # The dispatcher stored the execution; one created already ended (a FAIL_EXECUTION check) is
            # still news, to a parent waiting on it.
            if lifecycle.created_ended(step):
                step.was_fully_terminated = False
        case Wake():
            pass  # nothing to apply: the passes that follow are the point
        case ReleaseSlot():
            raise UnroutableEventError("ReleaseSlot is the dispatcher's to handle, never advance()'s")
        case _:
            raise UnroutableEventError(f"advance() has no rule for {type(event).__name__}")


def _timer(step: Step, event: TimerFired) -> None:
    if event.kind == TimerKind.SLA:
        sla.deadline_reached(step, event.sla_id)
        return
    run = step.execution.task_runs.find(event.task_run_id) if event.task_run_id else None
    if run is None:
        return
    # A timer acts only on what it was set for: the same attempt, still in the state it left it in.
    if attempts.live_attempt(run) != event.attempt:
        return
    match event.kind:
        case TimerKind.WAIT:
            dispatch.wait_over(step, run)
        case TimerKind.TIMEOUT:
            attempts.time_out(step, run, lost=False)
        case TimerKind.PAUSE:
            pauses.pause_elapsed(step, run)
        case TimerKind.NEXT_ITERATION:
            pauses.next_iteration(step, run)
        case TimerKind.RETRY:
            attempts.retry_due(step, run)


def _result(step: Step) -> AdvanceResult:
    if step.cut_short:
        step.effects.append(Continue())
    if not step.was_fully_terminated and fully_terminated(step.graph, step.execution):
        step.effects.append(ExecutionEnded(step.execution.state.current))
        notice = subflows.ended_notice(step)
        if notice is not None:
            step.effects.append(notice)
    return AdvanceResult(
        execution=step.execution,
        effects=tuple(step.effects),
        logs=tuple(step.logs),
        changed=frozenset(step.changed - step.removed),
        removed=frozenset(step.removed),
        header_changed=step.header_changed,
    )
