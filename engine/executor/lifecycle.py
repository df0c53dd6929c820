"""The execution's own life: admission under a concurrency limit (spec part 2 §4.2), kill (§13.3), Exit
(§1.5) and the end of the flow with its outputs (part 1 §7.2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.creation.inputs import InputError, parse_input
from engine.executor import batches, subflows
from engine.executor.events import Admission, Kill, Poisoned, Unqueue
from engine.executor.scope import StepScope
from engine.executor.step import Step
from engine.expressions import ExpressionError
from engine.model.execution import Execution, TaskRun
from engine.model.serde import format_duration
from engine.model.state import StateType
from engine.model.values import nest
from engine.task_api import FlowableTask, Input, PropertyRenderError

S = StateType


def schedule_date_to_come(execution: Execution, now: datetime) -> datetime | None:
    """The date a CREATED execution starts at, while it is still to come (`scheduleDate`): until then
    nothing runs, not even the concurrency gate."""
    date = execution.schedule_date
    return date if execution.state.current == S.CREATED and date is not None and date > now else None


def admit(step: Step, event: Admission) -> None:
    """The concurrency gate's answer, asked before an execution starts or starts again."""
    state = step.execution.state.current
    if event.granted:
        if state == S.QUEUED:
            step.set_execution_state(S.RUNNING)
        return
    if state not in (S.CREATED, S.RESTARTED):
        return
    if event.behavior == "QUEUE":
        step.set_execution_state(S.QUEUED)
        step.log("INFO", f"Execution is queued due to concurrency limit exceeded, {event.running} running(s)")
    elif event.behavior == "CANCEL":
        step.set_execution_state(S.CANCELLED)
    else:
        step.set_execution_state(S.FAILED)
        step.log("ERROR", "Execution is FAILED due to concurrency limit exceeded")


def unqueues(execution: Execution, event: Unqueue) -> bool:
    """Whether `event` takes the execution out of the queue: QUEUED, or CREATED when forced. Any other state
    means it left already (admitted, killed), and the event is late."""
    state = execution.state.current
    return state == S.QUEUED or (event.force and state == S.CREATED)


def unqueue(step: Step, event: Unqueue) -> None:
    """Out of the queue by hand, without a slot (the dispatcher removed its queue entry, and does not ask
    the gate in this step): RUNNING goes on with the passes, CANCELLED or FAILED ends it there."""
    if not unqueues(step.execution, event):
        return
    step.set_execution_state(event.state)
    how = "forced to run" if event.force else f"unqueued to {event.state.value}"
    step.log("INFO", f"Execution {how} by hand, outside the concurrency limit")


def created_ended(step: Step) -> bool:
    """Created already ended (a FAIL_EXECUTION check), before any task run."""
    return step.execution.state.current.terminated and not step.execution.task_runs


def kill(step: Step, event: Kill) -> None:
    """The passes that follow kill what is left, then the execution (and the subflow executions it waits
    for, with `cascade`). With `cascade`, the children it started and does not wait for are told too, even
    when it has ended: Kestra's kill reaches every execution the killed one started."""
    state = step.execution.state.current
    if state == S.KILLING and event.after is None:
        return
    if event.cascade:
        subflows.kill_unwatched(step, event.after)
    if state.terminated or event.after is not None:
        return
    step.execution.kill_cascade = event.cascade
    step.set_execution_state(S.KILLING)


def kill_pass(step: Step) -> None:
    """Kill every task run that is not done, innermost first; the execution is KILLED once all are.

    A worker cannot be interrupted mid-attempt here: its run is KILLED now and its result, when it comes,
    is ignored like any late result."""
    now = step.now()
    runs = step.execution.task_runs
    open_runs = [run for run in runs if not run.state.current.terminated]
    for run in reversed(open_runs):  # children come after their parent: innermost first
        if step.full:
            return  # the next step goes on killing
        if isinstance(step.graph.task(run.task_id), FlowableTask) and run.state.current.running:
            if runs.open_children(run.id):
                if run.state.current != S.KILLING:
                    step.put(run.with_state(S.KILLING, now))
                continue
            step.put(run.terminate(S.KILLED, now))
        elif run.attempts and run.state.current in (S.SUBMITTED, S.RUNNING, S.PAUSED):
            subflows.kill_child(step, run)
            step.put(batches.kill_children(step, run).terminate(S.KILLED, now))
        else:
            step.put(run.with_state(S.KILLED, now))
    if all(runs.get(run.id).state.current.terminated for run in open_runs):
        step.set_execution_state(S.KILLED)


def poisoned(step: Step, event: Poisoned) -> None:
    """What does not end ends FAILED, the execution with it; an ended execution only gets the log line."""
    step.log("ERROR", event.reason)
    if not step.execution.state.current.terminated:
        end_open_runs(step, S.FAILED)
        step.set_execution_state(S.FAILED)


def end_open_runs(step: Step, state: StateType) -> None:
    """Every task run that has not ended takes `state` (a waiting subflow's child is killed); the ended
    ones are left alone."""
    now = step.now()
    for run in list(step.execution.task_runs):
        if not run.state.current.terminated:
            subflows.kill_child(step, run)
            ended = batches.kill_children(step, run)
            step.put(ended.terminate(state, now) if ended.attempts else ended.with_state(state, now))


def exit_with(step: Step, run: TaskRun, state: StateType) -> None:
    """Exit: the run and its ancestors take `state` and so does the execution, at once; KILLED goes
    through KILLING so that the rest is killed too."""
    now = step.now()
    for target in (run, *step.execution.task_runs.ancestors(run)):
        step.put(target.terminate(state, now))
    if state == S.KILLED:
        kill(step, Kill())
    else:
        step.set_execution_state(state)


def end(step: Step, root: StepScope) -> None:
    """Every task of the flow's active branch is done: the execution takes its final state."""
    ex = step.execution
    if ex.state.current == S.CREATED:
        step.set_execution_state(S.RUNNING)
    final = root.final_state(step.flow.tasks)
    try:
        ex.outputs = _flow_outputs(step)
    except (PropertyRenderError, InputError) as exc:
        step.log("ERROR", f"Failed to render output values: {exc}")
        final = S.FAILED
    step.set_execution_state(final)
    step.log(
        "INFO",
        f"Flow completed with state {final.value} in {format_duration(step.now() - ex.state.start_date)}",
    )


def _flow_outputs(step: Step) -> dict[str, Any] | None:
    """Flow `outputs`, rendered once at the end whatever the state, typed like inputs. An optional output
    that fails to render is left out; a required one fails the execution."""
    values: dict[str, Any] = {}
    variables = step.execution_variables()
    for output in step.flow.outputs or ():
        try:
            value = step.ctx.renderer.render_value(output.value, variables, step.services)
        except ExpressionError as exc:
            if output.required:
                raise PropertyRenderError(f"output '{output.id}': {exc}") from None
            continue
        if value is None:
            if output.required:
                raise PropertyRenderError(f"output '{output.id}' is required but has no value")
            continue
        typed = parse_input(Input(id=output.id, type=output.type), value, "output")
        values[output.id] = step.services.mask_value(typed)
    return nest(values) if values else None
