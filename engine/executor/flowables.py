"""Flowable task runs (spec part 2 §12.6 F6–F11): started, asked for their next children and their end,
and ending with their unfinished children."""

from __future__ import annotations

from msgspec.structs import replace

from engine.executor.scope import StepScope
from engine.executor.step import Step
from engine.model.execution import TaskRun
from engine.model.state import StateType
from engine.task_api import FlowableTask, NewTaskRun

S = StateType

# A child to create: what, under which parent run (None at the flow's level), and whether it is forced
# (an afterExecution subtree, which runs after the execution ended).
Creation = tuple[NewTaskRun, TaskRun | None, bool]


def start(step: Step, run: TaskRun, task: FlowableTask) -> None:
    now = step.now()
    started = step.put(run.with_state(S.RUNNING, now).with_attempt_state(S.RUNNING, now))
    scope = StepScope(step, started, task)
    try:
        outputs = task.start(scope)
    except Exception as exc:  # a flowable's own property failed to resolve: the task run fails
        step.log("ERROR", str(exc), started)
        step.put(scope.run.terminate(S.FAILED, step.now()) if scope.run else started)
        return
    if outputs:
        assert scope.run is not None
        step.put(replace(scope.run, outputs={**scope.run.outputs, **outputs}))


def resolve(step: Step, run: TaskRun, task: FlowableTask, new: list[Creation]) -> None:
    """A running flowable: its next children, then its end if its children allow it."""
    scope = StepScope(step, run, task)
    state = step.execution.state.current
    # Once the execution is terminal only afterExecution subtrees (forced runs) go on.
    if run.force_execution or (state not in (S.KILLING, S.PAUSED) and not state.terminated):
        new += [(n, run, run.force_execution) for n in task.resolve_nexts(scope)]
    final = task.resolve_state(scope)
    if final is None:
        return
    current = scope.run or run
    step.put(current.terminate(final, step.now()))
    force_orphans(step)


def paused_children(step: Step, run: TaskRun, task: FlowableTask, new: list[Creation]) -> None:
    """What a paused flowable starts while it waits (a Pause's onPause)."""
    new += [(n, run, False) for n in task.resolve_nexts(StepScope(step, run, task))]


def force_orphans(step: Step) -> None:
    """A flowable that ends first takes its unfinished children with it (F11), and theirs, as many as the
    step has room for; the next passes take the rest."""
    runs = step.execution.task_runs
    while not step.full and (orphans := runs.orphans()):
        for child in orphans:
            if step.full:
                return
            parent = runs.get(child.parent_task_run_id or "")
            step.put(child.with_state(parent.state.current, step.now()))
