"""Step: the working state of one `advance()` call, and the bookkeeping every concern of the executor shares.

A step works on a copy of the execution. Whatever it changes is recorded — which task runs were written or
removed, whether the header changed, the effects to send and the log lines — so the dispatcher writes and
sends exactly that. `moves` counts changes: the passes run until a pass makes none.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from msgspec.structs import replace

from engine.creation.secret_inputs import reveal_secrets
from engine.executor.context import EngineContext
from engine.executor.events import Effect, StartTimer, TimerKind
from engine.expressions import ExpressionError
from engine.flow.graph import FlowGraph
from engine.model.execution import Execution, TaskRun
from engine.model.logs import LogEntry
from engine.model.state import StateType
from engine.runtime.port_services import PortServices, Scope
from engine.runtime.run_context import TaskRunContext
from engine.runtime.variables import execution_variables, task_run_variables
from engine.task_api import PropertyRenderError, RunnableTask, TaskBase, enabled

S = StateType


# Calls that wait on the outside world: a task whose properties make one never runs inline, where it could
# hold the dispatcher's step past its time (issue 12); on a worker, its own timeout bounds it.
_WAITS_OUTSIDE = ("http(",)


def runs_inline(task: TaskBase) -> bool:
    """Cheap and bounded (decision 0003): declared `inline`, and calling nothing that waits outside."""
    if not (isinstance(task, RunnableTask) and task.inline):
        return False
    return not any(call in text for text in _strings(task.model_dump(mode="json")) for call in _WAITS_OUTSIDE)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def fully_terminated(graph: FlowGraph, execution: Execution) -> bool:
    """In a terminal state with every afterExecution task run ended: nothing of it will run again."""
    if not execution.state.current.terminated:
        return False
    after = enabled(graph.flow.after_execution)
    runs = {r.task_id: r for t in after for r in execution.task_runs.of_task(t.id)}
    return all(t.id in runs and runs[t.id].state.current.terminated for t in after)


class Step:
    def __init__(self, graph: FlowGraph, execution: Execution, ctx: EngineContext) -> None:
        self.graph = graph
        self.flow = graph.flow
        self.execution = execution.copy()
        self.ctx = ctx
        # What expressions see: the SECRET inputs decrypted.
        self.inputs = reveal_secrets(graph.flow.inputs, execution.inputs or {}, ctx.config.decryption_keys)
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
        self.moves = 0
        # Per loop task run: how many iteration groups are known complete (see tasks/foreach.py).
        self.loop_cursors: dict[str, int] = {}
        self.inline_left = ctx.inline_budget
        self.cut_short = False
        self.was_fully_terminated = fully_terminated(graph, execution)
        self.created = execution.state.current == S.CREATED
        self.sla_logged: set[str] = set()  # SLAs already reported in this step
        self.batch_starts = 0  # child executions of batches started by this step (executor/batches.py)

    # --- bookkeeping ------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.ctx.clock.now()

    def put(self, run: TaskRun) -> TaskRun:
        self.execution.task_runs.put(run)
        self.changed.add(run.id)
        self.moves += 1
        return run

    def remove_tree(self, run_id: str) -> None:
        """Drop a task run and every descendant."""
        runs = self.execution.task_runs
        if run_id not in runs:
            return
        for child in runs.children(run_id):
            self.remove_tree(child.id)
        runs.remove(run_id)
        self.removed.add(run_id)
        self.moves += 1

    def header_moved(self) -> None:
        """The execution's own labels, variables or outputs changed."""
        self.moves += 1
        self.header_changed = True

    @property
    def stopping(self) -> bool:
        """Killed or over: no timer may start anything again (spec part 2 §2.7, fix #19683)."""
        state = self.execution.state.current
        return state == S.KILLING or state.terminated

    def set_execution_state(self, state: StateType) -> None:
        if self.execution.state.current != state:
            self.execution.with_state(state, self.now())
            self.header_moved()

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

    def start_timer(self, kind: TimerKind, at: datetime, run: TaskRun, attempt: int | None = None) -> None:
        """A timer for `run`'s attempt (its current one unless `attempt` says which)."""
        self.effects.append(StartTimer(kind, at, run.id, run.attempt_number if attempt is None else attempt))

    def hold(self, run: TaskRun, duration: timedelta | None, *, next_iteration: bool = False) -> TaskRun:
        """The task run and the execution go PAUSED, until a resume or for `duration`."""
        paused = self.put(run.with_state(S.PAUSED, self.now()))
        self.set_execution_state(S.PAUSED)
        if duration is not None:
            kind = TimerKind.NEXT_ITERATION if next_iteration else TimerKind.PAUSE
            self.start_timer(kind, self.now() + duration, run)
        return paused

    # --- rendering --------------------------------------------------------------------------------

    def execution_variables(self) -> dict[str, Any]:
        variables = {**self._config_variables, **execution_variables(self.graph, self.execution)}
        if "inputs" in variables:
            variables["inputs"] = self.inputs
        return variables

    def variables(self, run: TaskRun) -> dict[str, Any]:
        return task_run_variables(self.graph, self.execution, run, self.execution_variables())

    def render_for(self, run: TaskRun, prop: str, template: Any, *, mode: str = "string") -> Any:
        variables = self.variables(run)
        renderer = self.ctx.renderer
        try:
            if mode == "typed":
                return renderer.render_typed(template, variables, self.services)
            if mode == "value":
                return renderer.render_value(template, variables, self.services)
            return renderer.render(template, variables, self.services)
        except ExpressionError as exc:
            raise PropertyRenderError(
                f"Unable to render property '{prop}' of task '{run.task_id}': {exc}"
            ) from None

    def run_context(self, run: TaskRun) -> TaskRunContext:
        return TaskRunContext(run, self.variables(run), self.ctx.renderer, self.services)

    # --- the inline budget (decision 0003) --------------------------------------------------------

    def inline_room(self, task: TaskBase) -> int | None:
        """How many more runs of `task` this step could run itself; None when it would not run them."""
        if not (runs_inline(task) and self.ctx.inline_budget):
            return None
        room = min(self.inline_left, self.ctx.max_writes - len(self.changed | self.removed))
        return max(room - len(self.execution.task_runs.in_state(S.CREATED)), 0)

    def defer(self) -> None:
        """Work was left for the next step."""
        self.cut_short = True

    @property
    def full(self) -> bool:
        """This step wrote as many task runs as one commit takes: what is left waits for the next step."""
        if len(self.changed | self.removed) < self.ctx.max_writes:
            return False
        self.cut_short = True
        return True

    def set_loop_values(self, run: TaskRun, values: list[str]) -> TaskRun:
        return self.put(replace(run, loop_values=tuple(values)))
