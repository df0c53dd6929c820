"""One attempt of a runnable task run: the worker contract (spec part 2 §12.7)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from functools import partial
from typing import Any

from msgspec import Struct
from msgspec.structs import replace

from engine.expressions import ExpressionError, Renderer
from engine.model.execution import TaskRun
from engine.model.ids import derived_id
from engine.model.logs import LogEntry
from engine.model.serde import format_hms
from engine.model.state import State, StateType
from engine.resources import IdGenerator
from engine.runtime import task_cache
from engine.runtime.live_logs import LiveLogs
from engine.runtime.port_services import PortServices
from engine.runtime.retries import next_retry_date
from engine.runtime.run_context import TaskRunContext
from engine.task_api import PropertyRenderError, RunnableTask, TaskBase, TaskFailedError

S = StateType
# A worker's lease on an attempt: past it without a result, the worker died (its Lambda timed out or
# crashed). The worker function's own timeout is shorter; the worker queue's visibility timeout is not.
WORKER_LIMIT = timedelta(minutes=15)
# What a worker keeps of its lease to report, when it decides whether to wait for a child's next attempt.
_REPORT_MARGIN = timedelta(minutes=1)


class WorkerResult(Struct, frozen=True):
    """A worker's report on one attempt of a task run: the whole task run as the worker left it."""

    task_run: TaskRun
    logs: tuple[LogEntry, ...] = ()
    # Task runs the attempt created and ran under its own (a WorkingDirectory's children), in order.
    children: tuple[TaskRun, ...] = ()


def run_attempt(
    task: RunnableTask,
    run: TaskRun,
    variables: Mapping[str, Any],
    renderer: Renderer,
    services: PortServices,
    *,
    workspace: str | None = None,
) -> WorkerResult:
    clock = services.clock
    now = clock.now()
    ctx = TaskRunContext(
        run, variables, renderer, services, workspace=workspace, child_runner=partial(_run_child, renderer)
    )
    try:
        cached = task_cache.entry_for(task, run, variables, renderer, services)
    except ExpressionError:
        ctx.log("ERROR", f"Unable to create the cache key for the task '{task.id}'")
        cached = None
    hit = task_cache.lookup(cached, services) if cached else None
    if hit is not None:
        ctx.log(
            "INFO", f"Skipping task execution for task '{task.id}' as there is an existing cache entry for it"
        )
        reused = replace(run.with_state(S.RUNNING, now), outputs=hit).with_new_attempt(S.SUCCESS, now)
        return WorkerResult(reused.with_state(S.SUCCESS, now), tuple(ctx.logs))
    running = run.start_attempt(now)
    ctx.task_run = running
    if services.live_logs is not None:
        ctx.live = LiveLogs(partial(services.live_logs, run.id, running.attempt_number), clock)
    outputs: Mapping[str, Any] = {}
    try:
        outputs = task.run(ctx) or {}
        state = S.WARNING if ctx.warned else S.SUCCESS
    except (TaskFailedError, PropertyRenderError) as exc:
        ctx.log("ERROR", str(exc))
        state = S.FAILED
    except Exception as exc:  # a task's bug must fail its attempt, not the worker
        ctx.log("ERROR", f"{type(exc).__name__}: {exc}")
        state = S.FAILED
    end = clock.now()
    outputs = services.mask_value(dict(outputs))
    finished = replace(running, outputs=outputs).with_attempt_state(state, end)
    final = final_state(task, finished, state, services.ids)
    if cached is not None and final in (S.SUCCESS, S.WARNING):
        ctx.log("INFO", f"Uploading a cache entry for task '{task.id}'")
        task_cache.store(cached, outputs, end, services)
    return WorkerResult(finished.with_state(final, end), tuple(ctx.logs), tuple(ctx.children))


def _run_child(renderer: Renderer, parent: TaskRunContext, task: RunnableTask) -> TaskRun:
    """A child of `parent`'s run, run in its working directory: it sees the outputs of the children run
    before it, and `workingDir`. Its id derives from the parent's attempt, so a result merged twice does
    not add it twice. Its own `retry` runs it again here, in the same directory, while the worker's lease
    leaves time to wait for the next attempt (decision 0019)."""
    services = parent.services
    owner = parent.task_run
    started = owner.attempts[-1].state.start_date if owner.attempts else services.clock.now()
    deadline = started + WORKER_LIMIT - _REPORT_MARGIN
    run = _child_attempt(renderer, parent, task, None)
    while run.state.current == S.FAILED and task.retry is not None:
        date = next_retry_date(task.retry, run, services.ids)
        if date is None:
            break
        if date > deadline:
            parent.log(
                "ERROR",
                f"Task '{task.id}' is not retried: its next attempt would start after this worker's "
                f"{format_hms(WORKER_LIMIT)}; a retry on the WorkingDirectory runs it all again",
            )
            if task.allow_failure:
                run = run.with_state(S.WARNING, services.clock.now())
            break
        retrying = run.with_state(S.RETRYING, services.clock.now())
        services.clock.sleep_until(date)
        run = _child_attempt(renderer, parent, task, retrying.with_state(S.CREATED, services.clock.now()))
    return run


def _child_attempt(
    renderer: Renderer, parent: TaskRunContext, task: RunnableTask, previous: TaskRun | None
) -> TaskRun:
    """One attempt of the child: its first (`previous` None), or the next one of `previous`."""
    services = parent.services
    now = services.clock.now()
    owner = parent.task_run
    run = previous or TaskRun(
        id=derived_id(owner.id, f"{owner.attempt_number}/{task.id}"),
        execution_id=owner.execution_id,
        namespace=owner.namespace,
        flow_id=owner.flow_id,
        task_id=task.id,
        state=State.of(S.CREATED, now),
        seq=0,  # the dispatcher numbers it as it adds it to the execution
        parent_task_run_id=owner.id,
        value_path=owner.value_path,
    )
    run = run.with_state(S.SUBMITTED, now)
    outputs = dict(parent.variables.get("outputs") or {})
    outputs.update({child.task_id: child.outputs for child in parent.children})
    variables = {
        **parent.variables,
        "task": {"id": task.id, "type": task.type},
        "taskrun": {
            "id": run.id,
            "startDate": run.state.start_date,
            "attemptsCount": len(run.attempts),
            "parentId": owner.id,
        },
        "outputs": outputs,
        "workingDir": parent.workspace,
    }
    result = run_attempt(task, run, variables, renderer, services, workspace=parent.workspace)
    parent.logs.extend(result.logs)
    return result.task_run


def final_state(task: TaskBase, run: TaskRun, state: StateType, ids: IdGenerator) -> StateType:
    """The attempt keeps its real state; the task run's is mapped (spec part 2 §1.3, §12.7)."""
    if (
        task.retry is not None
        and task.retry.warning_on_retry
        and run.attempt_number > 1
        and state == S.SUCCESS
    ):
        state = S.WARNING
    # allowFailure turns only the last failure into a warning: the task's own retry comes first.
    if task.allow_failure and state == S.FAILED and not _own_retry_left(task, run, ids):
        state = S.WARNING
    if task.allow_warning and state == S.WARNING:
        state = S.SUCCESS
    return state


def _own_retry_left(task: TaskBase, run: TaskRun, ids: IdGenerator) -> bool:
    retry = task.retry
    return (
        retry is not None
        and retry.behavior == "RETRY_FAILED_TASK"
        and next_retry_date(retry, run, ids) is not None
    )
