"""`advance()`: apply events to an execution and run executor passes until nothing changes.

Pure: time comes from the Clock port, task-run ids are derived from the execution id and a sequence
number, and nothing is read or written. The pass follows spec part 2 §12.6 (steps F2–F11, G).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from engine import checks
from engine.config import EngineConfig
from engine.encryption import reveal_secrets, seal_secrets
from engine.executor import sla, subflows
from engine.executor.events import (
    TIMER_LOST,
    TIMER_NEXT_ITERATION,
    TIMER_PAUSE,
    TIMER_RETRY,
    TIMER_SLA,
    TIMER_TIMEOUT,
    TIMER_WAIT,
    Admission,
    AdvanceResult,
    Continue,
    Effect,
    Event,
    ExecutionEnded,
    Kill,
    Restart,
    Resume,
    RunTask,
    SetTaskRunState,
    StartExecution,
    StartTimer,
    SubflowEnded,
    TimerFired,
    WorkerResult,
)
from engine.executor.events import (
    Pause as PauseEvent,
)
from engine.executor.retries import next_attempt_date, next_retry_date, policy_for
from engine.executor.scope import FlowableScope, NewTaskRun, enabled
from engine.expressions import ExpressionError, Renderer, is_truthy
from engine.flow import Flow, FlowGraph, Input
from engine.inputs import InputError, parse_input, resolve_inputs
from engine.model.durations import parse_duration
from engine.model.execution import (
    Execution,
    ExecutionMetadata,
    Label,
    TaskRun,
    TaskRuns,
)
from engine.model.ids import derived_id, task_run_id
from engine.model.logs import LogEntry
from engine.model.serde import format_duration, format_hms
from engine.model.state import State, StateType
from engine.model.values import nest
from engine.ports import FlowGraphs
from engine.resources import Clock, IdGenerator, Resources
from engine.runtime.variables import execution_variables, task_run_variables
from engine.tasks.base import (
    ExecutableTask,
    ExecutionChange,
    ExecutionTask,
    FlowableTask,
    Retry,
    RunnableTask,
    TaskBase,
    WaitingTask,
)
from engine.tasks.pause import Pause as PauseTask
from engine.worker.context import PropertyRenderError, RunContext
from engine.worker.run import final_state, run_attempt
from engine.worker.services import PortServices, Scope

S = StateType
MAX_PASSES = 10_000
# A worker attempt that has not reported after this long is lost (its Lambda timed out or died). The
# worker function's own timeout is shorter, which leaves time for the queue before it starts.
WORKER_LIMIT = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class EngineContext:
    clock: Clock
    ids: IdGenerator
    renderer: Renderer
    resources: Resources
    config: EngineConfig
    # The stored log lines of an execution (errorLogs()); read only when a template asks.
    stored_logs: Callable[[str], list[LogEntry]]
    flows: FlowGraphs
    # How many attempts of `inline` tasks this step may run itself (decision 0003); 0 sends all to workers.
    inline_budget: int = 0

    def typed_inputs(self, flow: Flow, supplied: Mapping[str, Any]) -> dict[str, Any]:
        """A new execution's inputs, on every creation path (the API, replay, a Subflow task): typed and
        validated, then SECRET values encrypted."""
        typed = resolve_inputs(flow, supplied)
        return seal_secrets(flow.inputs, typed, self.config.encryption_key, self.ids.random_bytes)

    def check(
        self, flow: Flow, revision: int, execution_id: str, inputs: Mapping[str, Any]
    ) -> checks.Verdict:
        """The flow's `checks` on the typed inputs of an execution about to be created."""
        scope = Scope.of(flow.namespace, flow.id, execution_id, None)
        services = PortServices(self.clock, self.ids, self.resources, self.config, scope, list)
        revealed = reveal_secrets(flow.inputs, inputs, self.config.encryption_key)
        return checks.evaluate(flow, revision, revealed, self.renderer, services)


def advance(
    graph: FlowGraph,
    execution: Execution,
    events: Iterable[Event],
    ctx: EngineContext,
    *,
    passes: bool = True,
) -> AdvanceResult:
    """`passes=False` applies the events only: a command the API answers with the changed execution
    (Kestra's restart returns it RESTARTED) before the dispatcher runs it."""
    executor = Executor(graph, execution, ctx)
    for event in events:
        executor.apply(event)
    if passes:
        executor.run_passes()
    return executor.result()


def fully_terminated(graph: FlowGraph, execution: Execution) -> bool:
    if not execution.state.current.terminated:
        return False
    after = enabled(graph.flow.after_execution)
    runs = {r.task_id: r for t in after for r in execution.task_runs.of_task(t.id)}
    return all(t.id in runs and runs[t.id].state.current.terminated for t in after)


class Executor:
    def __init__(self, graph: FlowGraph, execution: Execution, ctx: EngineContext) -> None:
        self.graph = graph
        self.flow = graph.flow
        self.execution = execution.copy()
        self.ctx = ctx
        # What expressions see: the SECRET inputs decrypted.
        self.inputs = reveal_secrets(graph.flow.inputs, execution.inputs or {}, ctx.config.encryption_key)
        self.services = PortServices(
            ctx.clock,
            ctx.ids,
            ctx.resources,
            ctx.config,
            Scope.of(
                execution.namespace,
                execution.flow_id,
                execution.id,
                (execution.trigger or {}).get("variables"),
            ),
            lambda: [*ctx.stored_logs(execution.id), *self.logs],
            masked=PortServices.secret_inputs(graph.flow.inputs, self.inputs),
        )
        self._config_variables = ctx.config.variables()
        self.effects: list[Effect] = []
        self.logs: list[LogEntry] = []
        self.changed: set[str] = set()
        self.header_changed = False  # state, labels, variables or outputs of the execution itself
        self.removed: set[str] = set()
        self._moves = 0
        # Per loop task run: how many iteration groups are known complete (see tasks/foreach.py).
        self.loop_cursors: dict[str, int] = {}
        self._inline_left = ctx.inline_budget
        self._cut_short = False
        self._was_fully_terminated = fully_terminated(graph, execution)
        self._created = execution.state.current == S.CREATED
        self._sla_logged: set[str] = set()  # SLAs already reported in this step

    # --- bookkeeping ------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.ctx.clock.now()

    def put(self, run: TaskRun) -> TaskRun:
        self.execution.task_runs.put(run)
        self.changed.add(run.id)
        self._moves += 1
        return run

    @property
    def stopping(self) -> bool:
        """Killed or over: no timer may start anything again (spec part 2 §2.7, fix #19683)."""
        state = self.execution.state.current
        return state == S.KILLING or state.terminated

    def set_execution_state(self, state: StateType) -> None:
        if self.execution.state.current != state:
            self.execution.with_state(state, self.now())
            self._moves += 1
            self.header_changed = True

    def log(self, level: str, message: str, run: TaskRun | None = None) -> None:
        self.logs.append(
            LogEntry(
                execution_id=self.execution.id,
                level=level,
                message=message,
                timestamp=self.now(),
                task_run_id=run.id if run else None,
                task_id=run.task_id if run else None,
                attempt_number=max(run.attempt_number - 1, 0) if run else None,
            )
        )

    def result(self) -> AdvanceResult:
        if self._cut_short:
            self.effects.append(Continue())
        if not self._was_fully_terminated and fully_terminated(self.graph, self.execution):
            self.effects.append(ExecutionEnded(self.execution.state.current))
            notice = subflows.ended_notice(self)
            if notice is not None:
                self.effects.append(notice)
        return AdvanceResult(
            execution=self.execution,
            effects=tuple(self.effects),
            logs=tuple(self.logs),
            changed=frozenset(self.changed - self.removed),
            removed=frozenset(self.removed),
            header_changed=self.header_changed,
        )

    # --- rendering --------------------------------------------------------------------------------

    def execution_variables(self) -> dict[str, Any]:
        variables = {**self._config_variables, **execution_variables(self.graph, self.execution)}
        if "inputs" in variables:
            variables["inputs"] = self.inputs
        return variables

    def variables(self, run: TaskRun) -> dict[str, Any]:
        return task_run_variables(self.graph, self.execution, run, self.execution_variables())

    def render_for(self, run: TaskRun, prop: str, template: Any, *, mode: str = "string") -> Any:
        services = self.services
        variables = self.variables(run)
        renderer = self.ctx.renderer
        try:
            if mode == "typed":
                return renderer.render_typed(template, variables, services)
            if mode == "value":
                return renderer.render_value(template, variables, services)
            return renderer.render(template, variables, services)
        except ExpressionError as exc:
            raise PropertyRenderError(
                f"Unable to render property '{prop}' of task '{run.task_id}': {exc}"
            ) from None

    def run_context(self, run: TaskRun) -> RunContext:
        return RunContext(run, self.variables(run), self.ctx.renderer, self.services)

    def inline_room(self, task: TaskBase) -> int | None:
        """How many more runs of `task` this step could run itself; None when it would not run them.

        Loops create inline iterations no faster than that: a run created now but run in a later step
        would be written twice (decision 0003)."""
        if not (isinstance(task, RunnableTask) and task.inline and self.ctx.inline_budget):
            return None
        return max(self._inline_left - len(self.execution.task_runs.in_state(S.CREATED)), 0)

    def defer(self) -> None:
        """Work was left for the next step."""
        self._cut_short = True

    def set_loop_values(self, run: TaskRun, values: list[str]) -> TaskRun:
        return self.put(replace(run, loop_values=tuple(values)))

    # --- events -----------------------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        if isinstance(event, Admission):
            self._admission(event)
        elif isinstance(event, WorkerResult):
            self._merge(event)
        elif isinstance(event, TimerFired):
            self._timer(event)
        elif isinstance(event, Kill):
            self.kill()
        elif isinstance(event, Resume):
            self._resume(event)
        elif isinstance(event, Restart):
            self._restart()
        elif isinstance(event, SetTaskRunState):
            self._set_task_run_state(event)
        elif isinstance(event, SubflowEnded):
            subflows.child_ended(self, event)
        elif isinstance(event, PauseEvent) and self.execution.state.current == S.RUNNING:
            self.set_execution_state(S.PAUSED)
        elif isinstance(event, StartExecution) and self._created_ended():
            # A FAIL_EXECUTION check: its end is still news, to a parent waiting on it.
            self._was_fully_terminated = False
        # Wake carries nothing to apply: the passes that follow are the point.

    def _created_ended(self) -> bool:
        return self.execution.state.current.terminated and not self.execution.task_runs

    def _admission(self, event: Admission) -> None:
        """The concurrency gate (spec part 2 §4.2), asked before an execution starts or starts again."""
        state = self.execution.state.current
        if event.granted:
            if state == S.QUEUED:
                self.set_execution_state(S.RUNNING)
            return
        if state not in (S.CREATED, S.RESTARTED):
            return
        if event.behavior == "QUEUE":
            self.set_execution_state(S.QUEUED)
            self.log(
                "INFO", f"Execution is queued due to concurrency limit exceeded, {event.running} running(s)"
            )
        elif event.behavior == "CANCEL":
            self.set_execution_state(S.CANCELLED)
        else:
            self.set_execution_state(S.FAILED)
            self.log("ERROR", "Execution is FAILED due to concurrency limit exceeded")

    def pause(self, run: TaskRun, duration: timedelta | None, *, next_iteration: bool = False) -> TaskRun:
        paused = self.put(run.with_state(S.PAUSED, self.now()))
        self.set_execution_state(S.PAUSED)
        if duration is not None:
            kind = TIMER_NEXT_ITERATION if next_iteration else TIMER_PAUSE
            self.effects.append(StartTimer(kind, self.now() + duration, run.id, run.attempt_number))
        return paused

    def _next_iteration(self, run: TaskRun) -> None:
        """A loop's wait is over: drop the last iteration's children and run them again."""
        for child in self.execution.task_runs.children(run.id):
            self._remove_tree(child.id)
        count = int(run.outputs.get("iterationCount", 0)) + 1
        self.put(
            replace(run, outputs={**run.outputs, "iterationCount": count}).with_state(S.RUNNING, self.now())
        )
        if not self.execution.task_runs.in_state(S.PAUSED):
            self.set_execution_state(S.RUNNING)

    def _resume(self, event: Resume) -> None:
        if self.execution.state.current != S.PAUSED:
            return
        if event.task_run_id is None:
            if not self.execution.task_runs.in_state(S.PAUSED):
                self.set_execution_state(S.RUNNING)
            return
        run = self.execution.task_runs.find(event.task_run_id)
        if run is not None and run.state.current == S.PAUSED:
            self._end_pause(run, S.RUNNING, event.inputs)

    def _end_pause(self, run: TaskRun, target: StateType, on_resume: dict[str, Any] | None) -> None:
        """Kestra's `markAs` (spec part 2 §13.1 step 3): the pause ends, by a resume or by its timer."""
        now = self.now()
        outputs: dict[str, Any] = dict(run.outputs)
        if on_resume is not None:
            outputs["onResume"] = on_resume
        outputs["resumed"] = {
            "on": now.replace(tzinfo=None).isoformat(),
            "to": (S.SUCCESS if target == S.RUNNING else target).value,
        }
        task = self.graph.task(run.task_id)
        run = replace(run, outputs=outputs)
        if target == S.CANCELLED or not isinstance(task, PauseTask) or task.ends_alone:
            self.put(run.terminate(S.SUCCESS if target == S.RUNNING else target, now))
        else:
            self.put(run.with_state(S.RUNNING, now))
        if self.execution.task_runs.in_state(S.PAUSED):
            return
        self.set_execution_state(S.CANCELLED if target == S.CANCELLED else S.RESTARTED)

    def _restart(self) -> None:
        """Failed and paused runs and their ancestors start again, attempts kept (spec part 2 §14.1)."""
        ex = self.execution
        if ex.state.current not in (S.FAILED, S.PAUSED):
            return
        self._run_again({r.id: None for r in ex.task_runs if r.state.current in (S.FAILED, S.PAUSED)})

    def _set_task_run_state(self, event: SetTaskRunState) -> None:
        """A task run of an ended execution is given a state by hand and the execution goes on from there
        (spec part 2 §14.3), e.g. a failed task marked SUCCESS lets what follows it run."""
        state = self.execution.state.current
        if not state.terminated or state == S.KILLED or event.task_run_id not in self.execution.task_runs:
            return
        self._run_again({event.task_run_id: event.state})

    def _run_again(self, targets: dict[str, StateType | None]) -> None:
        """Each target takes its given state, or starts again (attempts kept); their ancestors run again;
        every errors, finally and afterExecution run is dropped so that it runs again if needed."""
        ex = self.execution
        now = self.now()
        runs = ex.task_runs
        for run_id in [r.id for r in runs if r.task_id in self.graph.handlers]:
            self._remove_tree(run_id)
        rearmed: set[str] = set()
        for run_id, given in targets.items():
            run = runs.find(run_id)
            if run is None:
                continue
            if given is not None:
                self.put(run.terminate(given, now) if given.terminated else run.with_state(given, now))
                rearmed.add(run.id)
            for target in (run, *runs.ancestors(run)):
                if target.id in rearmed:
                    continue
                rearmed.add(target.id)
                is_flowable = isinstance(self.graph.task(target.task_id), FlowableTask)
                self.put(target.with_state(S.RUNNING if is_flowable else S.RESTARTED, now))
        labels = {**ex.label_map(), "system.restarted": "true"}
        ex.labels = tuple(Label(key, value) for key, value in labels.items())
        ex.metadata = replace(ex.metadata, attempt_number=ex.metadata.attempt_number + 1)
        ex.outputs = None
        self.set_execution_state(S.RESTARTED)
        self._was_fully_terminated = False  # it will end again, and say so

    def _remove_tree(self, run_id: str) -> None:
        runs = self.execution.task_runs
        if run_id not in runs:
            return
        for child in runs.children(run_id):
            self._remove_tree(child.id)
        runs.remove(run_id)
        self.removed.add(run_id)
        self._moves += 1

    def kill(self) -> None:
        """Spec part 2 §13.3: the passes that follow kill what is left, then the execution."""
        state = self.execution.state.current
        if state.terminated or state == S.KILLING:
            return
        self.set_execution_state(S.KILLING)

    def _merge(self, event: WorkerResult) -> None:
        incoming = event.task_run
        current = self.execution.task_runs.find(incoming.id)
        if current is None or not joinable(current, incoming):
            if current is not None and current.state.current not in (S.SUBMITTED, S.RUNNING):
                self.log("WARN", f"Ignored a late or duplicate result for task run '{incoming.id}'", current)
            return
        merged = self.put(
            replace(incoming, seq=current.seq, value_path=current.value_path, loop_values=current.loop_values)
        )
        self.logs.extend(event.logs)
        if merged.state.current == S.FAILED:
            self.retry_or_stay_failed(merged)

    def retry_or_stay_failed(self, run: TaskRun) -> None:
        """A failed runnable task run gets another attempt if its retry policy allows (spec part 2 §2).

        Decided as the failure is merged, before any pass, so that neither the enclosing flowable nor
        the execution ever ends on a failure that is going to be retried (★ of spec §2.7)."""
        if self.stopping:
            return
        policy = policy_for(self.graph, self.graph.task(run.task_id))
        if policy is None:
            return
        if policy.behavior == "CREATE_NEW_EXECUTION":
            self._retry_as_new_execution(run, policy)
            return
        date = next_retry_date(policy, run, self.ctx.ids)
        if date is None:
            return
        self.put(run.with_state(S.RETRYING, self.now()))
        self.set_execution_state(S.RETRYING)
        self.effects.append(StartTimer(TIMER_RETRY, date, run.id, run.attempt_number))

    def _retry_as_new_execution(self, run: TaskRun, policy: Retry) -> None:
        """CREATE_NEW_EXECUTION (spec part 2 §2.4): this execution ends RETRIED and a new one starts from
        scratch at the retry date; the chain counts attempts in `metadata.attemptNumber`."""
        ex = self.execution
        last = run.attempts[-1].state if run.attempts else run.state
        date = next_attempt_date(
            policy,
            ex.metadata.attempt_number,
            last.end_date or self.now(),
            ex.metadata.original_created_date,
            self.ctx.ids,
        )
        if date is None:
            return
        now = self.now()
        for target in (run, *ex.task_runs.ancestors(run)):
            self.put(target.with_state(S.RETRIED, now))
        self.set_execution_state(S.RETRIED)
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
        self.effects.append(StartExecution(retry, date))

    def _timer(self, event: TimerFired) -> None:
        if event.kind == TIMER_SLA:
            sla.deadline_reached(self, event.sla_id)
            return
        run = self.execution.task_runs.find(event.task_run_id) if event.task_run_id else None
        if run is None:
            return
        # A timer acts only on what it was set for: the same attempt, still in the state it left it in.
        # A submitted run's attempt exists only once its worker reports it.
        live = run.attempt_number + (1 if run.state.current == S.SUBMITTED else 0)
        if live != event.attempt:
            return
        if event.kind == TIMER_WAIT and run.state.current == S.RUNNING:
            self.put(run.terminate(S.SUCCESS, self.now()))
        elif event.kind in (TIMER_TIMEOUT, TIMER_LOST) and run.state.current in (S.SUBMITTED, S.RUNNING):
            self._time_out(run, lost=event.kind == TIMER_LOST)
        elif event.kind == TIMER_PAUSE and run.state.current == S.PAUSED:
            task = self.graph.task(run.task_id)
            if self.stopping or not isinstance(task, PauseTask):
                return
            try:
                target = task.timer_target(FlowableScope(self, run, task))
            except (PropertyRenderError, ValueError) as exc:
                self.log("ERROR", str(exc), run)
                target = S.FAILED
            self._end_pause(run, target, None)
        elif event.kind == TIMER_NEXT_ITERATION and run.state.current == S.PAUSED and not self.stopping:
            self._next_iteration(run)
        elif event.kind == TIMER_RETRY and run.state.current == S.RETRYING and not self.stopping:
            self.put(run.with_state(S.CREATED, self.now()))
            if not self.execution.task_runs.in_state(S.RETRYING):
                self.set_execution_state(S.RUNNING)

    def _time_out(self, run: TaskRun, *, lost: bool) -> None:
        """The attempt ran out of time or its worker died: it fails; whatever arrives later is ignored."""
        task = self.graph.task(run.task_id)
        now = self.now()
        if run.state.current == S.SUBMITTED:  # no worker reported the attempt: record it
            run = run.with_new_attempt(S.CREATED, now)
        limit = None if lost else self._timeout(run, task)
        if limit is None:
            # Lambda's own ceiling, or a worker that died: to the flow author it is a timeout.
            message = (
                f"Timeout after {format_hms(WORKER_LIMIT)}: the worker did not report "
                "(the task ran into the function's time limit, or its worker stopped)"
            )
        else:
            message = f"Timeout after {format_hms(limit)}"
        self.log("ERROR", message, run)
        self.log("ERROR", f"Attempt {run.attempt_number} of task '{task.id}' was stopped: {message}", run)
        failed = replace(run, outputs={}).with_attempt_state(S.FAILED, now)
        state = (
            final_state(task, failed, S.FAILED, self.ctx.ids) if isinstance(task, RunnableTask) else S.FAILED
        )
        failed = self.put(failed.with_state(state, now))
        if state == S.FAILED:
            self.retry_or_stay_failed(failed)

    def _timeout(self, run: TaskRun, task: TaskBase) -> timedelta | None:
        """The task's `timeout`, rendered; None when it has none."""
        if task.timeout is None:
            return None
        text = task.timeout if "{" not in task.timeout else self.render_for(run, "timeout", task.timeout)
        try:
            return parse_duration(str(text))
        except ValueError as exc:
            raise PropertyRenderError(f"Invalid timeout '{text}' of task '{task.id}': {exc}") from None

    # --- passes -----------------------------------------------------------------------------------

    def run_passes(self) -> None:
        if self._created:
            sla.start_timers(self)
        for _ in range(MAX_PASSES):
            before = self._moves
            self._pass()
            if self._moves == before:
                return
        self._cut_short = True

    def _pass(self) -> None:
        ex = self.execution
        if ex.state.current == S.RESTARTED:  # F1: a resumed execution runs again
            histories = ex.state.histories
            if len(histories) > 1 and histories[-2].state == S.FAILED:
                sla.start_timers(self)  # a restart after a failure is watched again
            self.set_execution_state(S.RUNNING)
        sla.check_assertions(self, self._sla_logged)
        root = FlowableScope(self, None, None)
        new: list[tuple[NewTaskRun, TaskRun | None, bool]] = []
        state = ex.state.current

        if not state.terminated and state not in (S.PAUSED, S.RETRYING, S.QUEUED, S.KILLING):
            branch = root.active_branch(self.flow.tasks, self.flow.errors, self.flow.finally_)
            if root.all_terminated(branch):
                self._end(root)
            else:
                new += [(n, None, False) for n in root.next_sequential(branch)]
        if ex.state.current.terminated:
            new += [(n, None, True) for n in root.next_sequential(enabled(self.flow.after_execution))]

        if ex.state.current == S.KILLING:
            self._kill_pass()

        for run in [*ex.task_runs.in_state(S.CREATED), *ex.task_runs.in_state(S.RESTARTED)]:
            self._dispatch(run)

        for run in ex.task_runs.in_state(S.RUNNING):
            task = self.graph.task(run.task_id)
            if isinstance(task, FlowableTask):
                self._flowable(run, task, new)
        for run in ex.task_runs.in_state(S.PAUSED):  # what a pause starts (Pause's onPause)
            task = self.graph.task(run.task_id)
            if isinstance(task, FlowableTask):
                new += [(n, run, False) for n in task.resolve_nexts(FlowableScope(self, run, task))]

        for spec, parent, force in new:
            self._create(spec, parent, force)
        if new and ex.state.current == S.CREATED:
            self.set_execution_state(S.RUNNING)

    def _kill_pass(self) -> None:
        """Kill every task run that is not done, innermost first; the execution is KILLED once all are.

        A worker cannot be interrupted mid-attempt here: its run is KILLED now and its result, when it
        comes, is ignored like any late result."""
        now = self.now()
        open_runs = [run for run in self.execution.task_runs if not run.state.current.terminated]
        for run in reversed(open_runs):  # children come after their parent: innermost first
            if isinstance(self.graph.task(run.task_id), FlowableTask) and run.state.current.running:
                if self.execution.task_runs.open_children(run.id):
                    if run.state.current != S.KILLING:
                        self.put(run.with_state(S.KILLING, now))
                    continue
                self.put(run.terminate(S.KILLED, now))
            elif run.attempts and run.state.current in (S.SUBMITTED, S.RUNNING, S.PAUSED):
                subflows.kill_child(self, run)
                self.put(run.terminate(S.KILLED, now))
            else:
                self.put(run.with_state(S.KILLED, now))
        if all(self.execution.task_runs.get(run.id).state.current.terminated for run in open_runs):
            self.set_execution_state(S.KILLED)

    def _end(self, root: FlowableScope) -> None:
        ex = self.execution
        if ex.state.current == S.CREATED:
            self.set_execution_state(S.RUNNING)
        final = root.final_state(self.flow.tasks)
        try:
            ex.outputs = self._flow_outputs()
        except (PropertyRenderError, InputError) as exc:
            self.log("ERROR", f"Failed to render output values: {exc}")
            final = S.FAILED
        self.set_execution_state(final)
        self.log(
            "INFO",
            f"Flow completed with state {final.value} in {format_duration(self.now() - ex.state.start_date)}",
        )

    def _flow_outputs(self) -> dict[str, Any] | None:
        """Flow `outputs`, rendered once at the end whatever the state, typed like inputs (spec part 1
        §7.2). An optional output that fails to render is left out; a required one fails the execution."""
        values: dict[str, Any] = {}
        variables = self.execution_variables()
        for output in self.flow.outputs or ():
            try:
                value = self.ctx.renderer.render_value(output.value, variables, self.services)
            except ExpressionError as exc:
                if output.required:
                    raise PropertyRenderError(f"output '{output.id}': {exc}") from None
                continue
            if value is None:
                if output.required:
                    raise PropertyRenderError(f"output '{output.id}' is required but has no value")
                continue
            values[output.id] = parse_input(Input(id=output.id, type=output.type), value, "output")
        return nest(values) if values else None

    def _create(self, spec: NewTaskRun, parent: TaskRun | None, force: bool) -> TaskRun:
        ex = self.execution
        seq = ex.next_seq
        ex.next_seq += 1
        path = parent.value_path if parent else ()
        if spec.value is not None:
            path = (*path, spec.value)
        return self.put(
            TaskRun(
                id=task_run_id(ex.id, seq),
                execution_id=ex.id,
                namespace=ex.namespace,
                flow_id=ex.flow_id,
                task_id=spec.task.id,
                state=State.of(S.CREATED, self.now()),
                seq=seq,
                parent_task_run_id=parent.id if parent else None,
                value=spec.value,
                iteration=spec.iteration,
                force_execution=force,
                value_path=path,
            )
        )

    def _dispatch(self, run: TaskRun) -> None:
        task = self.graph.task(run.task_id)
        now = self.now()
        if task.plugin_defaults_ref is not None:
            # The loader consumes a reference that resolved; one left means no such named defaults exist.
            self.log(
                "ERROR", f"No plugin-defaults exists for pluginDefaultsRef: '{task.plugin_defaults_ref}'", run
            )
            self.put(run.with_new_attempt(S.CREATED, now).terminate(S.FAILED, now))
            return
        if task.run_if is not None:
            try:
                condition = (
                    task.run_if
                    if isinstance(task.run_if, bool)
                    else self.render_for(run, "runIf", task.run_if)
                )
            except PropertyRenderError as exc:
                self.log("ERROR", f"Unable to evaluate the runIf condition for task '{task.id}': {exc}", run)
                self.put(run.terminate(S.FAILED, now))
                return
            if not is_truthy(condition):
                self.put(run.terminate(S.SKIPPED, now))
                return
        if isinstance(task, FlowableTask):
            started = run.with_state(S.RUNNING, now).with_attempt_state(S.RUNNING, now)
            self.put(started)
            scope = FlowableScope(self, started, task)
            try:
                outputs = task.start(scope)
            except Exception as exc:  # a flowable's own property failed to resolve: the task run fails
                self.log("ERROR", str(exc), started)
                self.put(scope.run.terminate(S.FAILED, self.now()) if scope.run else started)
                return
            if outputs:
                assert scope.run is not None
                self.put(replace(scope.run, outputs={**scope.run.outputs, **outputs}))
        elif isinstance(task, ExecutionTask):
            self._apply_execution_task(run, task)
        elif isinstance(task, ExecutableTask):
            subflows.start(self, run, task)
        elif isinstance(task, WaitingTask):
            started = self.put(run.start_attempt(now))
            try:
                wait = task.wait_duration(self.run_context(started))
                limit = self._timeout(started, task)
            except Exception as exc:
                self.log("ERROR", str(exc), started)
                self.put(started.terminate(S.FAILED, now))
                return
            self.effects.append(StartTimer(TIMER_WAIT, now + wait, started.id, started.attempt_number))
            if limit is not None:
                self.effects.append(
                    StartTimer(TIMER_TIMEOUT, now + limit, started.id, started.attempt_number)
                )
        elif isinstance(task, RunnableTask):
            if task.inline and self.ctx.inline_budget:
                if self._inline_left <= 0:
                    self._cut_short = True  # leave it CREATED; the next step picks it up
                    return
                self._inline_left -= 1
                submitted = self.put(run.with_state(S.SUBMITTED, now))
                self._merge(
                    run_attempt(task, submitted, self.variables(submitted), self.ctx.renderer, self.services)
                )
                return
            try:
                limit = self._timeout(run, task)
            except PropertyRenderError as exc:
                self.log("ERROR", str(exc), run)
                self.put(run.with_new_attempt(S.CREATED, now).terminate(S.FAILED, now))
                return
            attempt = run.attempt_number + 1
            self.put(run.with_state(S.SUBMITTED, now))
            self.effects.append(RunTask(run.id, attempt))
            # A worker that dies or hangs never reports: a timer fails the attempt (spec part 2 §3.3).
            if limit is not None and limit <= WORKER_LIMIT:
                self.effects.append(StartTimer(TIMER_TIMEOUT, now + limit, run.id, attempt))
            else:
                self.effects.append(StartTimer(TIMER_LOST, now + WORKER_LIMIT, run.id, attempt))

    def _apply_execution_task(self, run: TaskRun, task: ExecutionTask) -> None:
        now = self.now()
        started = run.start_attempt(now)
        ex = self.execution
        change = ExecutionChange(ex.label_map(), dict(ex.variables))
        try:
            outputs = task.apply(self.run_context(started), change) or {}
        except Exception as exc:  # TaskFailedError, a render error or a task's bug: the run fails
            self.log("ERROR", str(exc), started)
            # Kestra's TaskRun.fail(): straight from CREATED to FAILED, with one FAILED attempt.
            at = self.now()
            self.put(run.with_new_attempt(S.FAILED, at).with_state(S.FAILED, at))
            return
        if change.labels != ex.label_map():
            ex.labels = tuple(Label(key, value) for key, value in change.labels.items())
            self._moves += 1
            self.header_changed = True
        if change.variables != ex.variables:
            ex.variables = change.variables
            self._moves += 1
            self.header_changed = True
        ended = replace(started, outputs=dict(outputs))
        if change.state is None:
            self.put(ended.terminate(S.SUCCESS, self.now()))
        else:
            self._exit(ended, change.state)

    def _exit(self, run: TaskRun, state: StateType) -> None:
        """Exit (spec part 2 §1.5): the run and its ancestors take `state` and so does the execution, at
        once; KILLED goes through KILLING so that the rest is killed too."""
        now = self.now()
        for target in (run, *self.execution.task_runs.ancestors(run)):
            self.put(target.terminate(state, now))
        if state == S.KILLED:
            self.kill()
        else:
            self.set_execution_state(state)

    def _flowable(
        self, run: TaskRun, task: FlowableTask, new: list[tuple[NewTaskRun, TaskRun | None, bool]]
    ) -> None:
        scope = FlowableScope(self, run, task)
        state = self.execution.state.current
        # Once the execution is terminal only afterExecution subtrees (forced runs) go on.
        if run.force_execution or (state not in (S.KILLING, S.PAUSED) and not state.terminated):
            new += [(n, run, run.force_execution) for n in task.resolve_nexts(scope)]
        final = task.resolve_state(scope)
        if final is None:
            return
        current = scope.run or run
        ended = self.put(current.terminate(final, self.now()))
        self._force_children(ended)

    def _force_children(self, parent: TaskRun) -> None:
        """A flowable that ends first takes its unfinished children with it (spec part 2 §12.6 F11)."""
        for child in self.execution.task_runs.open_children(parent.id):
            forced = self.put(child.with_state(parent.state.current, self.now()))
            self._force_children(forced)


def joinable(current: TaskRun, incoming: TaskRun) -> bool:
    """Kestra's `hasTaskRunJoinable` (spec part 2 §12.9): duplicates and stale results change nothing."""
    if len(incoming.attempts) > len(current.attempts):
        return True
    if current.state.current == incoming.state.current:
        return False
    if current.state.current.terminated and not incoming.state.current.terminated:
        return False
    return len(current.state.histories) <= len(incoming.state.histories)
