"""Attempts: a worker's result merged, a failure retried (spec part 2 §2), an attempt timed out (§3.3).

Duplicates and stale results change nothing (§12.9); a timer acts only on the attempt it was set for.
"""

from __future__ import annotations

from datetime import timedelta

from msgspec.structs import replace

from engine.executor.events import AttemptLost, StartExecution, TimerKind
from engine.executor.step import Step
from engine.model.durations import parse_duration
from engine.model.execution import Execution, ExecutionMetadata, Label, TaskRun, TaskRuns
from engine.model.ids import derived_id
from engine.model.serde import format_hms
from engine.model.state import State, StateType
from engine.runtime.attempt import WORKER_LIMIT, WorkerResult, final_state
from engine.runtime.retries import next_attempt_date, next_retry_date, policy_for
from engine.task_api import FlowableTask, PropertyRenderError, Retry, TaskBase

S = StateType


def live_attempt(run: TaskRun) -> int:
    """The attempt a worker may report on: a submitted run's next one, exists only once reported."""
    return run.attempt_number + (1 if run.state.current == S.SUBMITTED else 0)


def joinable(current: TaskRun, incoming: TaskRun) -> bool:
    """Kestra's `hasTaskRunJoinable` (spec part 2 §12.9), stricter: terminal is terminal, and only the
    live attempt may report. A duplicate, a result for an attempt the engine already closed (timed out,
    killed, lost) or for an older attempt changes nothing."""
    if current.state.current.terminated or current.state.current not in (S.SUBMITTED, S.RUNNING):
        return False
    if incoming.attempt_number != live_attempt(current):
        return False
    return current.state.current != incoming.state.current or len(incoming.attempts) > len(current.attempts)


def merge(step: Step, event: WorkerResult) -> None:
    incoming = event.task_run
    current = step.execution.task_runs.find(incoming.id)
    if current is None or not joinable(current, incoming):
        if current is not None and current.state.current not in (S.SUBMITTED, S.RUNNING):
            step.log("WARN", f"Ignored a late or duplicate result for task run '{incoming.id}'", current)
        return
    merged = step.put(
        replace(incoming, seq=current.seq, value_path=current.value_path, loop_values=current.loop_values)
    )
    _add_children(step, event.children)
    step.logs.extend(event.logs)
    if merged.state.current == S.FAILED:
        retry_or_stay_failed(step, merged)


def _add_children(step: Step, children: tuple[TaskRun, ...]) -> None:
    """The task runs a worker ran under the merged one (a WorkingDirectory's children), numbered here."""
    ex = step.execution
    for child in children:
        if child.id in ex.task_runs:
            continue
        seq = ex.next_seq
        ex.next_seq += 1
        step.put(replace(child, seq=seq))


def lost(step: Step, event: AttemptLost) -> None:
    run = step.execution.task_runs.find(event.task_run_id)
    if run is not None and live_attempt(run) == event.attempt:
        time_out(step, run, lost=True)


def retry_or_stay_failed(step: Step, run: TaskRun) -> None:
    """A failed task run gets another attempt if its retry policy allows (spec part 2 §2).

    Decided as the failure is merged, before any pass, so that neither the enclosing flowable nor the
    execution ever ends on a failure that is going to be retried (★ of spec §2.7)."""
    if step.stopping:
        return
    policy = policy_for(step.graph, step.graph.task(run.task_id))
    if policy is None:
        return
    if policy.behavior == "CREATE_NEW_EXECUTION":
        _retry_as_new_execution(step, run, policy)
        return
    date = next_retry_date(policy, run, step.ctx.ids)
    if date is None:
        return
    step.put(run.with_state(S.RETRYING, step.now()))
    step.set_execution_state(S.RETRYING)
    step.start_timer(TimerKind.RETRY, date, run)


def _retry_as_new_execution(step: Step, run: TaskRun, policy: Retry) -> None:
    """CREATE_NEW_EXECUTION (spec part 2 §2.4): this execution ends RETRIED and a new one starts from
    scratch at the retry date; the chain counts attempts in `metadata.attemptNumber`."""
    ex = step.execution
    last = run.attempts[-1].state if run.attempts else run.state
    date = next_attempt_date(
        policy,
        ex.metadata.attempt_number,
        last.end_date or step.now(),
        ex.metadata.original_created_date,
        step.ctx.ids,
    )
    if date is None:
        return
    now = step.now()
    for target in (run, *ex.task_runs.ancestors(run)):
        step.put(target.with_state(S.RETRIED, now))
    step.set_execution_state(S.RETRIED)
    labels = {**ex.label_map(), "system.replay": "true"}
    retry = Execution(
        id=derived_id(ex.id, "retry"),
        namespace=ex.namespace,
        flow_id=ex.flow_id,
        flow_revision=ex.flow_revision,
        state=State.of(S.CREATED, date),
        task_runs=TaskRuns(),
        metadata=ExecutionMetadata(ex.metadata.attempt_number + 1, ex.metadata.original_created_date),
        inputs=ex.inputs,
        variables=ex.variables,
        labels=tuple(Label(key, value) for key, value in labels.items()),
        trigger=ex.trigger,
        parent_id=ex.id,
        original_id=ex.original_id or ex.id,
    )
    step.effects.append(StartExecution(retry, date))


def retry_due(step: Step, run: TaskRun) -> None:
    """The retry's wait is over: the task run is dispatched again, as a new attempt."""
    if run.state.current != S.RETRYING or step.stopping:
        return
    step.put(run.with_state(S.CREATED, step.now()))
    if not step.execution.task_runs.in_state(S.RETRYING):
        step.set_execution_state(S.RUNNING)


def timeout_of(step: Step, run: TaskRun, task: TaskBase) -> timedelta | None:
    """The task's `timeout`, rendered; None when it has none."""
    if task.timeout is None:
        return None
    text = task.timeout if "{" not in task.timeout else step.render_for(run, "timeout", task.timeout)
    try:
        return parse_duration(str(text))
    except ValueError as exc:
        raise PropertyRenderError(f"Invalid timeout '{text}' of task '{task.id}': {exc}") from None


def time_out(step: Step, run: TaskRun, *, lost: bool) -> None:
    """The attempt ran out of time or its worker died: it fails; whatever arrives later is ignored."""
    if run.state.current not in (S.SUBMITTED, S.RUNNING):
        return
    task = step.graph.task(run.task_id)
    now = step.now()
    if run.state.current == S.SUBMITTED:  # no worker reported the attempt: record it
        run = run.with_new_attempt(S.CREATED, now)
    limit = None if lost else timeout_of(step, run, task)
    if limit is None:
        # Lambda's own ceiling, or a worker that died: to the flow author it is a timeout.
        message = (
            f"Timeout after {format_hms(WORKER_LIMIT)}: the worker did not report "
            "(the task ran into the function's time limit, or its worker stopped)"
        )
    else:
        message = f"Timeout after {format_hms(limit)}"
    step.log("ERROR", message, run)
    step.log("ERROR", f"Attempt {run.attempt_number} of task '{task.id}' was stopped: {message}", run)
    failed = replace(run, outputs={}).with_attempt_state(S.FAILED, now)
    # allowFailure and warningOnRetry apply to any task whose attempt ran out: a Sleep as a runnable.
    flowable = isinstance(task, FlowableTask)
    state = S.FAILED if flowable else final_state(task, failed, S.FAILED, step.ctx.ids)
    failed = step.put(failed.with_state(state, now))
    if state == S.FAILED:
        retry_or_stay_failed(step, failed)
