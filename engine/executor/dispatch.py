"""Creating task runs and dispatching them by kind (spec part 2 §12.6 F4–F5): a flowable starts here, an
execution task is applied, an executable task starts its child, a waiting task sets its timer, and a
runnable task goes to a worker — or runs inline, within the step's budget (decision 0003)."""

from __future__ import annotations

from msgspec.structs import replace

from engine.executor import attempts, batches, flowables, lifecycle, subflows
from engine.executor.events import RunTask, TimerKind
from engine.executor.step import Step, runs_inline
from engine.expressions import is_truthy
from engine.model.execution import Label, TaskRun
from engine.model.ids import task_run_id
from engine.model.state import State, StateType
from engine.runtime.attempt import WORKER_LIMIT, run_attempt
from engine.task_api import (
    BatchExecutableTask,
    ExecutableTask,
    ExecutionChange,
    ExecutionTask,
    FlowableTask,
    NewTaskRun,
    PropertyRenderError,
    RunnableTask,
    TaskBase,
    WaitingTask,
)

S = StateType


def create(step: Step, spec: NewTaskRun, parent: TaskRun | None, force: bool) -> TaskRun:
    ex = step.execution
    seq = ex.next_seq
    ex.next_seq += 1
    path = parent.value_path if parent else ()
    if spec.value is not None:
        path = (*path, spec.value)
    return step.put(
        TaskRun(
            id=task_run_id(ex.id, seq),
            execution_id=ex.id,
            namespace=ex.namespace,
            flow_id=ex.flow_id,
            task_id=spec.task.id,
            state=State.of(S.CREATED, step.now()),
            seq=seq,
            parent_task_run_id=parent.id if parent else None,
            value=spec.value,
            iteration=spec.iteration,
            force_execution=force,
            value_path=path,
        )
    )


def dispatch(step: Step, run: TaskRun) -> None:
    """A CREATED (or RESTARTED) task run starts the way its kind of task does."""
    task = step.graph.task(run.task_id)
    if not _may_start(step, run, task):
        return
    match task:
        case FlowableTask():
            flowables.start(step, run, task)
        case ExecutionTask():
            _apply_execution_task(step, run, task)
        case BatchExecutableTask():
            batches.start(step, run, task)
        case ExecutableTask():
            subflows.start(step, run, task)
        case WaitingTask():
            _wait(step, run, task)
        case RunnableTask():
            _run(step, run, task)
        case _:
            raise TypeError(f"task '{task.id}' of type {task.type} is of no known kind")


def _may_start(step: Step, run: TaskRun, task: TaskBase) -> bool:
    """An unresolved `pluginDefaultsRef` fails the run, a false `runIf` skips it."""
    now = step.now()
    if task.plugin_defaults_ref is not None:
        # The loader consumes a reference that resolved; one left means no such named defaults exist.
        step.log(
            "ERROR", f"No plugin-defaults exists for pluginDefaultsRef: '{task.plugin_defaults_ref}'", run
        )
        step.put(run.with_new_attempt(S.CREATED, now).terminate(S.FAILED, now))
        return False
    if task.run_if is None:
        return True
    try:
        condition = (
            task.run_if if isinstance(task.run_if, bool) else step.render_for(run, "runIf", task.run_if)
        )
    except PropertyRenderError as exc:
        step.log("ERROR", f"Unable to evaluate the runIf condition for task '{task.id}': {exc}", run)
        step.put(run.terminate(S.FAILED, now))
        return False
    if not is_truthy(condition):
        step.put(run.terminate(S.SKIPPED, now))
        return False
    return True


def _apply_execution_task(step: Step, run: TaskRun, task: ExecutionTask) -> None:
    now = step.now()
    started = run.start_attempt(now)
    ex = step.execution
    change = ExecutionChange(ex.label_map(), dict(ex.variables))
    try:
        outputs = task.apply(step.run_context(started), change) or {}
    except Exception as exc:  # TaskFailedError, a render error or a task's bug: the run fails
        step.log("ERROR", str(exc), started)
        # Kestra's TaskRun.fail(): straight from CREATED to FAILED, with one FAILED attempt.
        at = step.now()
        step.put(run.with_new_attempt(S.FAILED, at).with_state(S.FAILED, at))
        return
    if change.labels != ex.label_map():
        ex.labels = tuple(Label(key, value) for key, value in change.labels.items())
        step.header_moved()
    if change.variables != ex.variables:
        ex.variables = change.variables
        step.header_moved()
    ended = replace(started, outputs=dict(outputs))
    if change.state is None:
        step.put(ended.terminate(S.SUCCESS, step.now()))
    else:
        lifecycle.exit_with(step, ended, change.state)


def _wait(step: Step, run: TaskRun, task: WaitingTask) -> None:
    """A waiting task (Sleep) holds no Lambda: a timer ends it (decision 0004)."""
    now = step.now()
    started = step.put(run.start_attempt(now))
    try:
        wait = task.wait_duration(step.run_context(started))
        limit = attempts.timeout_of(step, started, task)
    except Exception as exc:
        step.log("ERROR", str(exc), started)
        step.put(started.terminate(S.FAILED, now))
        return
    step.start_timer(TimerKind.WAIT, now + wait, started)
    if limit is not None:
        step.start_timer(TimerKind.TIMEOUT, now + limit, started)


def wait_over(step: Step, run: TaskRun) -> None:
    if run.state.current == S.RUNNING:
        step.put(run.terminate(S.SUCCESS, step.now()))


def _run(step: Step, run: TaskRun, task: RunnableTask) -> None:
    now = step.now()
    if runs_inline(task) and step.ctx.inline_budget:
        if step.inline_left <= 0:
            step.defer()  # leave it CREATED; the next step picks it up
            return
        step.inline_left -= 1
        submitted = step.put(run.with_state(S.SUBMITTED, now))
        result = run_attempt(task, submitted, step.variables(submitted), step.ctx.renderer, step.services)
        attempts.merge(step, result)
        return
    try:
        limit = attempts.timeout_of(step, run, task)
    except PropertyRenderError as exc:
        step.log("ERROR", str(exc), run)
        step.put(run.with_new_attempt(S.CREATED, now).terminate(S.FAILED, now))
        return
    attempt = run.attempt_number + 1
    step.put(run.with_state(S.SUBMITTED, now))
    step.effects.append(RunTask(run.id, attempt))
    # The task's own timeout is a timer. A worker that dies or hangs is found by its claim instead: the
    # redelivery of its RunTask reports the attempt lost (decision 0012), at no cost while workers live.
    if limit is not None and limit <= WORKER_LIMIT:
        step.start_timer(TimerKind.TIMEOUT, now + limit, run, attempt)
