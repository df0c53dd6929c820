"""Executable tasks (Subflow): the child execution's start, its end reported back, kill and restart
(spec part 1 §12, part 2 §1.3, §13.3, §14.1).

The parent never waits on a Lambda: it creates the child through a `StartExecution` effect and its task
run stays RUNNING. When the child is fully terminated, the child's own step sends a `SubflowEnded` notice
to the parent; the parent maps the child's state onto the task run and may retry it like any failure.
"""

from __future__ import annotations

from typing import Any

from msgspec.structs import replace

from engine.creation import checks
from engine.creation.inputs import InvalidInputsError
from engine.creation.new_execution import new_execution
from engine.executor import attempts
from engine.executor.events import Kill, Notify, Restart, StartExecution, SubflowEnded
from engine.executor.step import Step
from engine.expressions import ExpressionError
from engine.model.execution import Execution, TaskRun
from engine.model.ids import derived_id
from engine.model.labels import SYSTEM_PREFIX
from engine.model.state import StateType
from engine.resources import NotFoundError
from engine.runtime.attempt import final_state
from engine.task_api import (
    BatchExecutableTask,
    ExecutableTask,
    PropertyRenderError,
    SubflowCall,
    TaskFailedError,
)

S = StateType
# Children started, or kill notices sent, by one step: a StartExecution message carries its execution.
PER_STEP = 20
# A child's state that reaches the parent task run when `transmitFailed` (else the run succeeds).
_TRANSMITTED = (S.FAILED, S.KILLED, S.WARNING, S.PAUSED)


def start(step: Step, run: TaskRun, task: ExecutableTask) -> None:
    """Start the child execution; the task run waits for it unless `wait` is false."""
    now = step.now()
    restarted = run.state.current == S.RESTARTED
    started = step.put(run.start_attempt(now))
    child_id = run.outputs.get("executionId")
    if restarted and task.restart_behavior == "RETRY_FAILED" and isinstance(child_id, str):
        _restart_child(step, started, child_id)
        return
    try:
        call = task.call(step.run_context(started))
        child = child_execution(step, started, task, call)
    except CHILD_REFUSED as exc:
        refused(step, started, exc)
        return
    # Created now, whatever its scheduleDate: it waits CREATED, where a kill or a look at it finds it.
    step.effects.append(StartExecution(child))
    waiting = step.put(replace(started, outputs={"executionId": child.id}))
    if not task.wait:
        step.put(waiting.terminate(S.SUCCESS, step.now()))


# Why a child cannot be made: its properties, its inputs, its flow (missing, disabled, the parent's own).
CHILD_REFUSED = (TaskFailedError, PropertyRenderError, InvalidInputsError, NotFoundError, ValueError)


def refused(step: Step, run: TaskRun, error: Exception) -> None:
    """The child could not be made: the task run fails with why (and may be retried)."""
    step.log("ERROR", str(error), run)
    failed = step.put(run.terminate(S.FAILED, step.now()))
    attempts.retry_or_stay_failed(step, failed)


def _restart_child(step: Step, run: TaskRun, child_id: str) -> None:
    """RETRY_FAILED: a failed child is restarted in place and waited for again; any other is left alone
    and the task run succeeds at once (Kestra's `ExecutableUtils.subflowExecution`)."""
    if run.outputs.get("state") != S.FAILED.value:
        step.put(run.terminate(S.SUCCESS, step.now()))
        return
    restart = Restart(waited_by=run.attempt_number)
    step.effects.append(Notify(child_id, restart, f"restart-{child_id}-{run.id}-{run.attempt_number}"))


def child_execution(
    step: Step, run: TaskRun, task: ExecutableTask, call: SubflowCall, iteration: int | None = None
) -> Execution:
    """The child `call` asks for; `iteration` is the batch of a task that starts one child per batch."""
    try:
        graph = step.ctx.flows.graph(call.namespace, call.flow_id, call.revision)
    except NotFoundError:
        revision = call.revision if call.revision is not None else 0
        raise NotFoundError(
            f"Unable to find flow '{call.namespace}'.'{call.flow_id}' with revision '{revision}'"
        ) from None
    flow = graph.flow
    parent = step.execution
    if (flow.namespace, flow.id) == (parent.namespace, parent.flow_id):
        raise TaskFailedError(f"Recursive call to flow [{flow.namespace}.{flow.id}]")
    if flow.disabled:
        raise TaskFailedError("Cannot execute a flow which is disabled")
    own_keys = {key for key, _ in flow.label_pairs()}
    handed = [
        (label.key, label.value)
        for label in parent.labels
        if (label.key not in own_keys if call.inherit_labels else label.key.startswith(SYSTEM_PREFIX))
    ]
    variables: dict[str, Any] = {
        "executionId": parent.id,
        "namespace": parent.namespace,
        "flowId": parent.flow_id,
        "flowRevision": parent.flow_revision,
        "taskRunId": run.id,
        "taskId": run.task_id,
    }
    if run.value is not None:
        variables["taskRunValue"] = run.value
    if iteration is not None:
        variables["batchIteration"] = iteration
        child_id = batch_child_id(parent.id, run, iteration)
    else:
        if run.iteration is not None:
            variables["taskRunIteration"] = run.iteration
        child_id = derived_id(parent.id, f"subflow/{run.id}/{run.attempt_number}")
    inputs = step.ctx.typed_inputs(flow, call.inputs)
    verdict = step.ctx.check(flow, graph.revision, child_id, inputs)
    if verdict.behavior == "BLOCK_EXECUTION":
        raise TaskFailedError(verdict.refusal)
    child = new_execution(
        flow,
        graph.revision,
        child_id,
        step.now(),
        inputs=inputs,
        labels=[*handed, *call.labels],
        trigger={"id": task.id, "type": task.type, "variables": variables},
        schedule_date=call.schedule_date,
    )
    child.waited_by = run.attempt_number
    if verdict.behavior == "FAIL_EXECUTION":
        # The child exists, FAILED, as one created through the API; the reason goes to the parent's task
        # run, where its failure shows (a child's log lines are written by the child's own steps).
        child.with_state(S.FAILED, step.now())
        step.log("ERROR", f"{checks.FAILED_MESSAGE} (subflow execution {child_id})", run)
    return child


def batch_child_id(parent_id: str, run: TaskRun, iteration: int) -> str:
    attempt = run.batches.attempt if run.batches is not None else run.attempt_number
    return derived_id(parent_id, f"batch/{run.id}/{attempt}/{iteration}")


def waiting_child(step: Step, run: TaskRun) -> str | None:
    """The child a RUNNING executable task run waits for."""
    child = run.outputs.get("executionId")
    waits = isinstance(step.graph.task(run.task_id), ExecutableTask) and run.state.current == S.RUNNING
    return child if waits and isinstance(child, str) else None


def kill_child(step: Step, run: TaskRun) -> None:
    """The kill cascades (spec part 2 §13.3 step 3): the child is told to stop too, unless the kill said
    otherwise."""
    child = waiting_child(step, run)
    if child is not None and step.execution.kill_cascade:
        step.effects.append(kill_notice(child))


def kill_notice(child_id: str) -> Notify:
    """A child told to stop, one key for every sender: the queue takes it once."""
    return Notify(child_id, Kill(), f"kill-{child_id}")


def kill_unwatched(step: Step, after: tuple[int, int] | None) -> None:
    """The children the execution started and does not wait for (a Subflow's or a ForEachItem's with
    `wait: false`), whose end it never learns: each is told to stop (one that has ended ignores it),
    `PER_STEP` a step, in order from the one after the cursor `after`; the execution tells itself to go on
    from the last one told. Those waited for are the kill pass's (`kill_child`, `kill_children`), and a
    child whose end came back needs nothing."""
    pending = [
        (cursor, child)
        for run in sorted(step.execution.task_runs, key=lambda run: run.seq)
        for cursor, child in _unwatched_children(step, run)
        if after is None or cursor > after
    ]
    for _, child in pending[:PER_STEP]:
        step.effects.append(kill_notice(child))
    if len(pending) > PER_STEP:
        (seq, iteration), itself = pending[PER_STEP - 1][0], step.execution.id
        key = f"kill-{itself}-after-{seq}-{iteration}"
        step.effects.append(Notify(itself, Kill(after=(seq, iteration)), key))


def _unwatched_children(step: Step, run: TaskRun) -> list[tuple[tuple[int, int], str]]:
    """(cursor, child id) of each child of `run` that nobody waits for and that may not have ended."""
    task = step.graph.task(run.task_id)
    if isinstance(task, BatchExecutableTask):
        batches = run.batches
        # A KILLED one's children are told by `kill_children`, a running one's by the kill pass.
        ended_launching = run.state.current.terminated and run.state.current != S.KILLED
        if task.wait or batches is None or not ended_launching:
            return []
        return [
            ((run.seq, iteration), batch_child_id(step.execution.id, run, iteration))
            for iteration in range(1, batches.started + 1)
            if not batches.has_ended(iteration)
        ]
    if isinstance(task, ExecutableTask):
        child = run.outputs.get("executionId")
        unwatched = "state" not in run.outputs and waiting_child(step, run) is None
        return [((run.seq, 0), child)] if isinstance(child, str) and unwatched else []
    return []


def child_ended(step: Step, event: SubflowEnded) -> None:
    """The parent side: the child's final state onto the waiting task run (`ExecutableUtils.guessState`)."""
    run = step.execution.task_runs.find(event.task_run_id)
    if run is None or waiting_child(step, run) != event.child_id or stale(run, event):
        return  # a duplicate notice, one from before a restart in place, or the run was killed meanwhile
    task = step.graph.task(run.task_id)
    assert isinstance(task, ExecutableTask)
    outputs: dict[str, Any] = {"executionId": event.child_id, "state": event.state.value}
    if event.outputs is not None:
        outputs["outputs"] = event.outputs
    if event.error is not None:
        step.log("WARN", event.error, run)
        state = S.FAILED
    else:
        state = event.state if task.transmit_failed and event.state in _TRANSMITTED else S.SUCCESS
    if state in (S.FAILED, S.WARNING):
        level = "ERROR" if state == S.FAILED else "WARN"
        step.log(level, f"Subflow execution '{event.child_id}' ends in {event.state.value} state", run)
    now = step.now()
    ended = replace(run, outputs=outputs).with_attempt_state(state, now)
    final = final_state(task, ended, state, step.ctx.ids)
    ended = step.put(ended.with_state(final, now))
    if final == S.FAILED:
        attempts.retry_or_stay_failed(step, ended)


def ended_notice(step: Step) -> Notify | None:
    """The child side, once fully terminated: the notice for the parent that waits for it, if any."""
    execution = step.execution
    trigger = execution.trigger or {}
    variables = trigger.get("variables") or {}
    parent_id, run_id = variables.get("executionId"), variables.get("taskRunId")
    if not (isinstance(parent_id, str) and isinstance(run_id, str)):
        return None
    try:
        graph = step.ctx.flows.graph(variables["namespace"], variables["flowId"], variables["flowRevision"])
        task = graph.task(trigger["id"])
    except (NotFoundError, KeyError):
        return None  # not started by an executable task, or its flow is gone: nobody waits
    if not isinstance(task, ExecutableTask):
        return None
    # A batch's end frees a place under a concurrency limit, whether or not the task waits for the ends.
    limited = isinstance(task, BatchExecutableTask) and task.concurrency_limit > 0
    if not task.wait and not limited:
        return None
    outputs, error = execution.outputs, None
    legacy = task.legacy_outputs()
    if not step.flow.outputs and legacy:
        try:
            outputs = step.ctx.renderer.render_value(dict(legacy), step.execution_variables(), step.services)
        except ExpressionError as exc:
            outputs, error = None, f"Failed to extract outputs with the error: '{exc}'"
    state = execution.state.current
    waited = execution.waited_by
    batch = variables.get("batchIteration")
    if isinstance(batch, int):  # a batch's outputs go to a file of their own (batches.outputs_file)
        notice = SubflowEnded(run_id, execution.id, state, None, error, batch, waited)
    else:
        notice = SubflowEnded(run_id, execution.id, state, outputs, error, task_run_attempt=waited)
    return Notify(parent_id, notice, _ended_key(execution))


def stale(run: TaskRun, event: SubflowEnded) -> bool:
    """A notice of an end the parent already took, come back after it restarted the child in place."""
    return event.task_run_attempt is not None and event.task_run_attempt != run.attempt_number


def _ended_key(execution: Execution) -> str:
    return f"ended-{execution.id}-{execution.metadata.attempt_number}"
