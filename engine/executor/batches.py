"""Batch executable tasks (ForEachItem's `_items`, spec part 1 §12.3): one child execution per batch.

Nothing here is unbounded: a step starts at most `PER_STEP` children (or sends as many kill notices) and
leaves the rest to the next step (Continue), so a step's outbox stays far below an item's size whatever the
number of batches. A child's end is counted once, in the task run's `batches` bitmap, however often its
notice comes; the task run ends when every batch's child has.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from msgspec.structs import replace

from engine.executor import attempts, subflows
from engine.executor.events import Notify, Restart, StartExecution, SubflowEnded
from engine.executor.step import Step
from engine.executor.subflows import CHILD_REFUSED, PER_STEP, batch_child_id, child_execution, refused
from engine.expressions.ion import ion_text
from engine.model.batches import Batches
from engine.model.execution import Execution, TaskRun
from engine.model.files import execution_prefix, kestra_path
from engine.model.state import StateType
from engine.runtime.attempt import final_state
from engine.runtime.run_context import TaskRunContext
from engine.task_api import BatchExecutableTask

S = StateType
_NO_LIMIT = 1 << 62  # a child's outputs were bounded when they were rendered


def start(step: Step, run: TaskRun, task: BatchExecutableTask) -> None:
    restarted = run.state.current == S.RESTARTED
    started = step.put(run.start_attempt(step.now()))
    if restarted and task.restart_behavior == "RETRY_FAILED" and started.batches is not None:
        # The children that failed run again, in place; the others keep their end.
        batches = replace(started.batches, restarting=True, killed=0)
        _restart_failed(step, step.put(replace(started, batches=batches)), task)
        return
    source = _source(step, started, task)
    total = int((source.outputs if source else {}).get("numberOfBatches") or 0)
    if total == 0:  # nothing to split: no child, no outputs (Kestra's empty items)
        step.put(started.terminate(S.SUCCESS, step.now()))
        return
    outputs: dict[str, Any] = {
        "numberOfBatches": total,
        "iterations": {S.CREATED.value: total, S.RUNNING.value: 0},
    }
    if task.wait:  # without waiting nothing is gathered: the children may not have ended (Kestra's too)
        outputs["subflowOutputsBaseUri"] = outputs_base(started)
    batches = Batches(total, attempt=started.attempt_number)
    launch(step, step.put(replace(started, outputs=outputs, batches=batches)), task)


def launch(step: Step, run: TaskRun, task: BatchExecutableTask) -> None:
    """Start the next children this step and the concurrency limit allow."""
    batches = run.batches
    if batches is None or run.state.current != S.RUNNING or step.stopping:
        return
    room = PER_STEP - step.batch_starts
    if task.concurrency_limit:
        room = min(room, task.concurrency_limit - batches.running)
    count = max(min(room, batches.total - batches.started), 0)
    if count == 0:
        if batches.started < batches.total and step.batch_starts >= PER_STEP:
            step.defer()
        return
    source = _source(step, run, task)
    uris = (source.outputs if source else {}).get("batchUris") or {}
    for iteration in range(batches.started + 1, batches.started + count + 1):
        try:
            child = _child(step, run, task, iteration, f"{uris.get('prefix')}{iteration}{uris.get('suffix')}")
        except CHILD_REFUSED as exc:
            refused(step, run, exc)
            return
        step.effects.append(StartExecution(child))  # a scheduleDate: it waits CREATED (see subflows)
    step.batch_starts += count
    batches = replace(batches, started=batches.started + count)
    run = step.put(
        replace(run, batches=batches, outputs=_counted(run.outputs, {S.CREATED: -count, S.RUNNING: count}))
    )
    if batches.started < batches.total and step.batch_starts >= PER_STEP:
        step.defer()
    if not task.wait and batches.started == batches.total:
        step.put(run.terminate(S.SUCCESS, step.now()))


def _source(step: Step, run: TaskRun, task: BatchExecutableTask) -> TaskRun | None:
    """The sibling task run that wrote the batches."""
    found = [
        r for r in step.execution.task_runs.children(run.parent_task_run_id) if r.task_id == task.batches_from
    ]
    return found[-1] if found else None


def _child(step: Step, run: TaskRun, task: BatchExecutableTask, iteration: int, items: str) -> Execution:
    variables = step.variables(run)
    variables["taskrun"] = {**variables.get("taskrun", {}), "items": items, "iteration": iteration}
    ctx = TaskRunContext(run, variables, step.ctx.renderer, step.services)
    call = task.call(ctx)
    return child_execution(step, run, task, call, iteration)


def child_ended(step: Step, event: SubflowEnded) -> None:
    """A batch's child is over: counted once; the task run ends with the last one."""
    run = step.execution.task_runs.find(event.task_run_id)
    iteration = event.iteration
    if run is None or run.batches is None or iteration is None or run.state.current != S.RUNNING:
        return
    if subflows.stale(run, event):
        return  # the end of a batch from before the run restarted it in place
    batches = run.batches
    if not 1 <= iteration <= batches.started or batches.has_ended(iteration):
        return  # a duplicate notice
    task = step.graph.task(run.task_id)
    assert isinstance(task, BatchExecutableTask)
    state = S.FAILED if event.error is not None else event.state
    if event.error is not None:
        step.log("WARN", event.error, run)
    if state in (S.FAILED, S.KILLED) and task.transmit_failed:
        step.log("ERROR", f"Subflow execution '{event.child_id}' ends in {event.state.value} state", run)
    batches = batches.with_ended(iteration, failed=state == S.FAILED)
    outputs = _counted(run.outputs, {S.RUNNING: -1, state: 1})
    run = step.put(replace(run, batches=batches, outputs=outputs))
    if batches.ended_count < batches.total or batches.restarting:
        launch(step, run, task)
        return
    _end(step, run, task)


def _end(step: Step, run: TaskRun, task: BatchExecutableTask) -> None:
    """Every batch's child has ended: the task run takes their verdict."""
    iterations: Mapping[str, int] = run.outputs["iterations"]
    verdict = _verdict(iterations) if task.transmit_failed else S.SUCCESS
    now = step.now()
    ended = run.with_attempt_state(verdict, now)
    final = final_state(task, ended, verdict, step.ctx.ids)
    ended = step.put(ended.with_state(final, now))
    if final == S.FAILED:
        attempts.retry_or_stay_failed(step, ended)


def _restart_failed(step: Step, run: TaskRun, task: BatchExecutableTask) -> None:
    """RETRY_FAILED: each failed child is told to restart (a few a step) and is waited for again."""
    batches = run.batches
    assert batches is not None
    moved = 0
    while step.batch_starts < PER_STEP and (iteration := batches.first_failed()) is not None:
        child = batch_child_id(step.execution.id, run, iteration)
        restart = Restart(waited_by=run.attempt_number)
        step.effects.append(Notify(child, restart, f"restart-{child}-{run.id}-{run.attempt_number}"))
        batches = batches.restarted(iteration)
        step.batch_starts += 1
        moved += 1
    left = batches.first_failed() is not None
    if left:
        step.defer()
    batches = replace(batches, restarting=left)
    run = step.put(
        replace(run, batches=batches, outputs=_counted(run.outputs, {S.FAILED: -moved, S.RUNNING: moved}))
    )
    if not left and batches.ended_count == batches.total:
        _end(step, run, task)  # nothing had failed: the run ends as its children did
    elif not left:
        launch(step, run, task)


def _verdict(iterations: Mapping[str, int]) -> StateType:
    """Kestra's order: a failed batch fails the run, then a killed one, then a warning."""
    for state in (S.FAILED, S.KILLED, S.WARNING):
        if iterations.get(state.value, 0) > 0:
            return state
    return S.SUCCESS


def _counted(outputs: Mapping[str, Any], moves: Mapping[StateType, int]) -> dict[str, Any]:
    iterations = dict(outputs.get("iterations") or {})
    for state, delta in moves.items():
        iterations[state.value] = iterations.get(state.value, 0) + delta
    return {**outputs, "iterations": iterations}


def kill_children(step: Step, run: TaskRun) -> TaskRun:
    """The kill cascades to the children started and not ended, `PER_STEP` notices a step (the rest in the
    next steps, `kills_left`); those not started never will be. Returns the task run as it now is."""
    batches = run.batches
    if batches is None or not step.execution.kill_cascade or batches.running == 0:
        return run
    sent = 0
    iteration = batches.killed
    while iteration < batches.started and sent < PER_STEP:
        iteration += 1
        if not batches.has_ended(iteration):
            child = batch_child_id(step.execution.id, run, iteration)
            step.effects.append(subflows.kill_notice(child))
            sent += 1
    if iteration < batches.started:
        step.defer()
    return step.put(replace(run, batches=replace(batches, killed=iteration)))


def pending(step: Step) -> None:
    """What batch task runs still have to do after this step's events: start more children, or send the
    kill notices a killed one still owes (one step sends `PER_STEP`)."""
    runs = step.execution.task_runs
    for run in [*runs.in_state(S.RUNNING), *runs.in_state(S.KILLED)]:
        batches = run.batches
        if batches is None or step.full:
            continue
        if run.state.current == S.RUNNING and (batches.restarting or batches.started < batches.total):
            task = step.graph.task(run.task_id)
            assert isinstance(task, BatchExecutableTask)
            if batches.restarting:
                _restart_failed(step, run, task)
            else:
                launch(step, run, task)
        elif run.state.current.terminated and batches.killed < batches.started and batches.running:
            kill_children(step, run)


def outputs_base(run: TaskRun) -> str:
    """Where the children's outputs are gathered, one `<iteration>/outputs.ion` each (Kestra's
    `subflowOutputsBaseUri`)."""
    folder = execution_prefix(run.namespace, run.flow_id, run.execution_id)
    return "/" + kestra_path(f"{folder}tasks/{run.task_id}/{run.id}")


def outputs_file(execution: Execution) -> tuple[str, bytes] | None:
    """A batch's child, ended with outputs: the file its outputs go to, for the merge (written by the
    dispatcher: the same bytes to the same place, however often)."""
    trigger = execution.trigger or {}
    variables = trigger.get("variables") or {}
    iteration, run_id = variables.get("batchIteration"), variables.get("taskRunId")
    if not execution.outputs or not isinstance(iteration, int) or not isinstance(run_id, str):
        return None
    folder = execution_prefix(variables["namespace"], variables["flowId"], variables["executionId"])
    uri = kestra_path(f"{folder}tasks/{trigger['id']}/{run_id}/{iteration}/outputs.ion")
    return uri, (ion_text(dict(execution.outputs), _NO_LIMIT) + "\n").encode()
