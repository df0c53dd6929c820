"""Pauses (spec part 2 §13.1): a paused task run ends by a resume or by its timer, a loop's wait between
iterations ends, and an execution is paused or resumed by hand. What a pause means for its task is the
task's hooks (`FlowableTask.pause_elapsed`, `continues_after_pause`, `next_iteration`)."""

from __future__ import annotations

from typing import Any

from msgspec.structs import replace

from engine.executor.events import Resume
from engine.executor.scope import StepScope
from engine.executor.step import Step
from engine.model.execution import TaskRun
from engine.model.state import StateType
from engine.task_api import FlowableTask, PropertyRenderError

S = StateType


def pause_by_hand(step: Step) -> None:
    """A running execution paused through the API: nothing new starts until it is resumed."""
    if step.execution.state.current == S.RUNNING:
        step.set_execution_state(S.PAUSED)


def resume(step: Step, event: Resume) -> None:
    if step.execution.state.current != S.PAUSED:
        return
    if event.task_run_id is None:
        if not step.execution.task_runs.in_state(S.PAUSED):
            step.set_execution_state(S.RUNNING)
        return
    run = step.execution.task_runs.find(event.task_run_id)
    if run is not None and run.state.current == S.PAUSED:
        _end_pause(step, run, S.RUNNING, event.inputs)


def pause_elapsed(step: Step, run: TaskRun) -> None:
    """The pause's timer: its task says where it takes the task run."""
    task = step.graph.task(run.task_id)
    if run.state.current != S.PAUSED or step.stopping or not isinstance(task, FlowableTask):
        return
    try:
        target = task.pause_elapsed(StepScope(step, run, task))
    except (PropertyRenderError, ValueError) as exc:
        step.log("ERROR", str(exc), run)
        target = S.FAILED
    _end_pause(step, run, target, None)


def next_iteration(step: Step, run: TaskRun) -> None:
    """A loop's wait is over: drop the last iteration's children and run them again."""
    task = step.graph.task(run.task_id)
    if run.state.current != S.PAUSED or step.stopping or not isinstance(task, FlowableTask):
        return
    for child in step.execution.task_runs.children(run.id):
        step.remove_tree(child.id)
    outputs = dict(task.next_iteration(run.outputs))
    step.put(replace(run, outputs=outputs).with_state(S.RUNNING, step.now()))
    if not step.execution.task_runs.in_state(S.PAUSED):
        step.set_execution_state(S.RUNNING)


def _end_pause(step: Step, run: TaskRun, target: StateType, on_resume: dict[str, Any] | None) -> None:
    """Kestra's `markAs` (spec part 2 §13.1 step 3): the pause ends, by a resume or by its timer."""
    now = step.now()
    outputs: dict[str, Any] = dict(run.outputs)
    if on_resume is not None:
        outputs["onResume"] = on_resume
    outputs["resumed"] = {
        "on": now.replace(tzinfo=None).isoformat(),
        "to": (S.SUCCESS if target == S.RUNNING else target).value,
    }
    task = step.graph.task(run.task_id)
    run = replace(run, outputs=outputs)
    goes_on = isinstance(task, FlowableTask) and task.continues_after_pause()
    if target == S.CANCELLED or not goes_on:
        step.put(run.terminate(S.SUCCESS if target == S.RUNNING else target, now))
    else:
        step.put(run.with_state(S.RUNNING, now))
    if step.execution.task_runs.in_state(S.PAUSED):
        return
    step.set_execution_state(S.CANCELLED if target == S.CANCELLED else S.RESTARTED)
