"""Executor passes (spec part 2 §12.6, steps F1–F11 and G), run until one changes nothing."""

from __future__ import annotations

from engine.executor import batches, dispatch, flowables, lifecycle, sla
from engine.executor.events import StartTimer, TimerKind
from engine.executor.flowables import Creation
from engine.executor.scope import StepScope
from engine.executor.step import Step
from engine.model.state import StateType
from engine.task_api import FlowableTask, enabled

S = StateType
# A bound on the passes of one step; past it, the step commits and continues in the next (Continue).
MAX_PASSES = 10_000


def run_passes(step: Step) -> None:
    date = lifecycle.schedule_date_to_come(step.execution, step.now())
    if date is not None:
        step.effects.append(StartTimer(TimerKind.SCHEDULE_DATE, date))
        return
    if step.created:
        sla.start_timers(step)
    for _ in range(MAX_PASSES):
        before = step.moves
        _pass(step)
        if step.moves == before:
            return
    step.defer()


def _pass(step: Step) -> None:
    ex = step.execution
    if ex.state.current == S.RESTARTED:  # F1: a resumed execution runs again
        histories = ex.state.histories
        if len(histories) > 1 and histories[-2].state == S.FAILED:
            sla.start_timers(step)  # a restart after a failure is watched again
        step.set_execution_state(S.RUNNING)
    sla.check_assertions(step)
    root = StepScope(step, None, None)
    new: list[Creation] = []
    state = ex.state.current

    if not state.terminated and state not in (S.PAUSED, S.RETRYING, S.QUEUED, S.KILLING):
        branch = root.active_branch(step.flow.tasks, step.flow.errors, step.flow.finally_)
        if root.all_terminated(branch):
            lifecycle.end(step, root)
        else:
            new += [(n, None, False) for n in root.next_sequential(branch)]
    if ex.state.current.terminated:
        new += [(n, None, True) for n in root.next_sequential(enabled(step.flow.after_execution))]

    if ex.state.current == S.KILLING:
        lifecycle.kill_pass(step)

    # Each loop stops once the step is full (Step.full): the next step goes on from a consistent state.
    for run in [*ex.task_runs.in_state(S.CREATED), *ex.task_runs.in_state(S.RESTARTED)]:
        # A run this step wrote already costs nothing more to dispatch (unless it ends its ancestors too).
        if step.full and run.id not in step.changed:
            break
        dispatch.dispatch(step, run)

    for run in ex.task_runs.in_state(S.RUNNING):
        task = step.graph.task(run.task_id)
        if isinstance(task, FlowableTask) and not step.full:
            flowables.resolve(step, run, task, new)
    for run in ex.task_runs.in_state(S.PAUSED):
        task = step.graph.task(run.task_id)
        if isinstance(task, FlowableTask) and not step.full:
            flowables.paused_children(step, run, task, new)
    flowables.force_orphans(step)
    batches.pending(step)

    for spec, parent, force in new:
        if step.full:
            break
        dispatch.create(step, spec, parent, force)
    if new and ex.state.current == S.CREATED:
        step.set_execution_state(S.RUNNING)
