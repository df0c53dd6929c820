"""Running an ended execution again in place: restart (spec part 2 §14.1) and a task run's state set by
hand (§14.3). Replay, which makes a new execution, is `replay.py`."""

from __future__ import annotations

from msgspec.structs import replace

from engine.executor.events import Restart, SetTaskRunState
from engine.executor.step import Step
from engine.model.execution import Label
from engine.model.state import StateType
from engine.task_api import FlowableTask

S = StateType


def restart(step: Step, event: Restart) -> None:
    """Failed and paused runs and their ancestors start again, attempts kept. A parent restarting its child
    in place says which attempt of its task run waits now: the child's end notice will carry it."""
    ex = step.execution
    if ex.state.current not in (S.FAILED, S.PAUSED):
        return
    if event.waited_by is not None:
        ex.waited_by = event.waited_by
    _run_again(step, {r.id: None for r in ex.task_runs if r.state.current in (S.FAILED, S.PAUSED)})


def set_task_run_state(step: Step, event: SetTaskRunState) -> None:
    """A task run of an ended execution is given a state by hand and the execution goes on from there,
    e.g. a failed task marked SUCCESS lets what follows it run."""
    state = step.execution.state.current
    if not state.terminated or state == S.KILLED or event.task_run_id not in step.execution.task_runs:
        return
    _run_again(step, {event.task_run_id: event.state})


def _run_again(step: Step, targets: dict[str, StateType | None]) -> None:
    """Each target takes its given state, or starts again (attempts kept); their ancestors run again;
    every errors, finally and afterExecution run is dropped so that it runs again if needed."""
    ex = step.execution
    now = step.now()
    runs = ex.task_runs
    for run_id in [r.id for r in runs if r.task_id in step.graph.handlers]:
        step.remove_tree(run_id)
    targets = _units(step, targets)
    rearmed: set[str] = set()
    for run_id, given in targets.items():
        run = runs.find(run_id)
        if run is None:
            continue
        if given is not None:
            step.put(run.terminate(given, now) if given.terminated else run.with_state(given, now))
            rearmed.add(run.id)
        for target in (run, *runs.ancestors(run)):
            if target.id in rearmed:
                continue
            rearmed.add(target.id)
            # A paused run starts again from its beginning: a Pause pauses again (and a resume sent before
            # the restart still finds it paused); any other flowable goes on from its children.
            is_flowable = isinstance(step.graph.task(target.task_id), FlowableTask)
            goes_on = is_flowable and target.state.current != S.PAUSED
            step.put(target.with_state(S.RUNNING if goes_on else S.RESTARTED, now))
    labels = {**ex.label_map(), "system.restarted": "true"}
    ex.labels = tuple(Label(key, value) for key, value in labels.items())
    ex.metadata = replace(ex.metadata, attempt_number=ex.metadata.attempt_number + 1)
    ex.outputs = None
    step.set_execution_state(S.RESTARTED)
    step.was_fully_terminated = False  # it will end again, and say so


def _units(step: Step, targets: dict[str, StateType | None]) -> dict[str, StateType | None]:
    """A run its parent ran (a WorkingDirectory's child) starts again as its parent: the parent's children
    are dropped, it makes them again."""
    runs = step.execution.task_runs
    units: dict[str, StateType | None] = {}
    for run_id, given in targets.items():
        run = runs.find(run_id)
        parent = runs.find(run.parent_task_run_id) if run and run.parent_task_run_id else None
        if parent is not None and step.graph.task(parent.task_id).runs_its_children():
            units.setdefault(parent.id, None)
        else:
            units[run_id] = given
    for run_id in units:
        run = runs.find(run_id)
        if run is not None and step.graph.task(run.task_id).runs_its_children():
            for child in runs.children(run_id):
                step.remove_tree(child.id)
    return units
