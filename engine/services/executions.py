"""Creating and reading executions: what the CLI and the REST API call (spec part 1 §4.2)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from msgspec import Struct

from engine.creation import checks
from engine.creation.inputs import InputError, InvalidInputsError, resolve_declared
from engine.creation.new_execution import CORRELATION_ID, new_execution
from engine.creation.uploads import Upload, place
from engine.executor.advance import advance
from engine.executor.context import EngineContext
from engine.executor.events import Restart, SetTaskRunState
from engine.executor.replay import remapped, replay
from engine.executor.step import fully_terminated
from engine.flow.model import Flow
from engine.model.execution import Execution, TaskRun, TaskRuns
from engine.model.files import execution_prefix
from engine.model.labels import check_user_labels, merge_labels
from engine.model.logs import LogEntry
from engine.model.state import StateType
from engine.model.values import to_json_value
from engine.ports import Commit, ExecutionStore, MessageBus, OutboxEntry, StoredExecution
from engine.resources import Clock, IdGenerator, NotFoundError
from engine.runtime.port_services import Scope
from engine.runtime.variables import task_run_variables
from engine.services import messages
from engine.services.catalog import FlowCatalog
from engine.services.dispatcher import Delivery, still_pending
from engine.task_api import Input


class FlowDisabledError(Exception):
    pass


class ExecutionBlockedError(Exception):
    """A BLOCK_EXECUTION check failed: nothing is created (the API's 422)."""


class ExecutionStateError(Exception):
    """The execution is not in a state that allows the command (the API's 409)."""


# Where an execution may be unqueued to (Kestra's `unqueue?state=`).
UNQUEUE_STATES = (StateType.RUNNING, StateType.CANCELLED, StateType.FAILED)


class ExecutionTerminatedError(ExecutionStateError):
    """The execution has already ended: there is nothing to kill."""


class ExecutionService(Struct):
    catalog: FlowCatalog
    store: ExecutionStore
    bus: MessageBus
    clock: Clock
    ids: IdGenerator
    engine: EngineContext

    def create(
        self,
        namespace: str,
        flow_id: str,
        inputs: Mapping[str, Any] | None = None,
        labels: Sequence[tuple[str, str]] = (),
        *,
        revision: int | None = None,
        files: Mapping[str, Upload] | None = None,
        trigger: dict[str, Any] | None = None,
        schedule_date: datetime | None = None,
        execution_id: str | None = None,
    ) -> Execution:
        """`files` are the uploads of FILE inputs, by input id; stored only if the execution is created.
        `trigger` is what started it (a webhook call), as `trigger.*` shows it. An execution with a
        `schedule_date` still to come waits CREATED until then. `execution_id` is given when the caller may
        create it twice (a schedule's date): the second raises ConcurrentModificationError."""
        record = self.catalog.record(namespace, flow_id, revision)
        flow = self.catalog.graph(namespace, flow_id, record.revision).flow
        if flow.disabled:
            raise FlowDisabledError(f"Cannot execute a disabled flow '{namespace}.{flow_id}'")
        check_user_labels(labels, allowed=(CORRELATION_ID, "system.from"))
        execution_id = execution_id or self.ids.new_id()
        uploads = place(files or {}, namespace, flow_id, execution_id)
        typed = self.engine.typed_inputs(flow, {**(inputs or {}), **uploads.uris})
        verdict = self.engine.check(flow, record.revision, execution_id, typed)
        if verdict.behavior == "BLOCK_EXECUTION":
            raise ExecutionBlockedError(verdict.refusal)
        uploads.store(self.engine.resources.storage)
        now = self.clock.now()
        execution = new_execution(
            flow,
            record.revision,
            execution_id,
            now,
            inputs=typed,
            labels=labels,
            trigger=trigger,
            schedule_date=schedule_date,
        )
        if verdict.behavior != "FAIL_EXECUTION":
            # With a `schedule_date` to come, its first step sets the timer that starts it (as a Subflow's).
            return self._start(execution, "created")
        # Created FAILED, with its reason logged before anything may process it.
        execution.with_state(StateType.FAILED, now)
        wake = messages.wake(execution_id, "created")
        execution.version = self.store.create(execution)
        log = LogEntry(execution_id, "ERROR", checks.FAILED_MESSAGE, now)
        entry = OutboxEntry(wake, now)
        execution.version = self.store.commit(Commit(execution, frozenset(), frozenset(), (entry,), (log,)))
        self.bus.send([wake])
        return execution

    def kill(self, execution_id: str, *, cascade: bool = True) -> Execution:
        """Ask the dispatcher to kill the execution; it ends KILLED once what runs is stopped. Without
        `cascade`, the subflow executions it started go on. With it, an ended execution can be killed too, as
        in Kestra: it stays as it ended, and what it started and left running is killed."""
        execution = self.get(execution_id)
        if execution.state.current.terminated and not cascade:
            raise ExecutionTerminatedError("Cannot kill execution: execution is already terminated.")
        self.bus.send([messages.kill(execution_id, cascade=cascade)])
        return execution

    def resume(
        self,
        execution_id: str,
        inputs: Mapping[str, Any] | None = None,
        files: Mapping[str, Upload] | None = None,
    ) -> Execution:
        """Resume the first paused task run with its `onResume` inputs, validated like flow inputs;
        `files` are the uploads of its FILE inputs."""
        execution, run, declared = self._paused(execution_id)
        if run is None:
            self.bus.send([messages.resume(execution_id, None, {})])
            return execution
        uploads = place(files or {}, execution.namespace, execution.flow_id, execution_id)
        supplied = {**(inputs or {}), **uploads.uris}
        missing = [i.id for i in declared if i.required and i.defaults is None and supplied.get(i.id) is None]
        if missing:
            raise InvalidInputsError([InputError(name, f"Missing required input:{name}") for name in missing])
        typed = resolve_declared(declared, supplied) if declared else {}
        uploads.store(self.engine.resources.storage)
        self.bus.send([messages.resume(execution_id, run.id, to_json_value(typed))])
        return execution

    def resume_inputs(self, execution_id: str) -> tuple[Flow, list[Input]]:
        """The flow of a paused execution, and the `onResume` inputs its resume takes (none when paused by
        hand)."""
        execution, _, declared = self._paused(execution_id)
        return self.catalog.graph(
            execution.namespace, execution.flow_id, execution.flow_revision
        ).flow, declared

    def _paused(self, execution_id: str) -> tuple[Execution, TaskRun | None, list[Input]]:
        """A paused execution, the task run a resume ends (the first PAUSED) and its `onResume` inputs."""
        execution = self.get(execution_id)
        if execution.state.current != StateType.PAUSED:
            raise ExecutionStateError("Cannot resume execution: the execution is not paused.")
        paused = execution.task_runs.in_state(StateType.PAUSED)
        if not paused:
            return execution, None, []
        graph = self.catalog.graph(execution.namespace, execution.flow_id, execution.flow_revision)
        return execution, paused[0], graph.task(paused[0].task_id).resume_inputs()

    def restart(self, execution_id: str, revision: int | None = None) -> Execution:
        """Run a failed (or paused) execution again from its failed task runs: in place, or with
        `revision` as a new execution of that flow revision whose `parentId` is this one."""
        stored = self._stored(execution_id)
        execution = stored.execution
        state = execution.state.current
        if state not in (StateType.FAILED, StateType.PAUSED):
            raise ExecutionStateError(
                f"Cannot restart execution: current state is '{state.value}', expected terminated or paused."
            )
        runs = list(execution.task_runs)
        if runs and not any(r.state.current in (StateType.FAILED, StateType.PAUSED) for r in runs):
            raise ExecutionStateError("No task found to restart execution from!")
        if revision is not None:
            graph = self.catalog.graph(execution.namespace, execution.flow_id, revision)
            copy = execution.copy()
            copy.id = self.ids.new_id()
            copy.task_runs = TaskRuns(remapped(list(execution.task_runs), copy.id))
            copy.flow_revision, copy.parent_id, copy.version = graph.revision, execution.id, 0
            result = advance(graph, copy, [Restart()], self.engine, passes=False)
            return self._start(result.execution, f"restart-of-{execution.id}")
        return self._apply_now(stored, Restart(), f"restart-{execution.version}")

    def set_task_run_state(self, execution_id: str, task_run_id: str, state: StateType) -> Execution:
        """Give a task run of an ended execution a state and go on from there (spec part 2 §14.3)."""
        stored = self._ended(execution_id)
        if stored.execution.task_runs.find(task_run_id) is None:
            raise NotFoundError(f"Task run '{task_run_id}' not found in execution '{execution_id}'")
        event = SetTaskRunState(task_run_id, state)
        return self._apply_now(stored, event, f"state-{stored.execution.version}")

    def delete(self, execution_id: str) -> None:
        """Remove an ended execution with its logs and its files; a running one is refused."""
        stored = self._stored(execution_id)
        execution = stored.execution
        if not self.fully_terminated(execution):
            raise ExecutionStateError("Cannot delete execution: the execution is not terminated.")
        storage = self.engine.resources.storage
        for stored_file in storage.list(
            execution_prefix(execution.namespace, execution.flow_id, execution.id)
        ):
            storage.delete(stored_file.uri)
        self.store.delete(execution_id)

    def evaluate(self, execution_id: str, task_run_id: str, expression: str) -> str:
        """An expression rendered as the task run's own properties would be (Kestra's "debug" evaluation);
        raises ExpressionError with its message."""
        execution = self.get(execution_id)
        run = execution.task_runs.find(task_run_id)
        if run is None:
            raise NotFoundError(f"Task run '{task_run_id}' not found in execution '{execution_id}'")
        graph = self.catalog.graph(execution.namespace, execution.flow_id, execution.flow_revision)
        scope = Scope.of(execution.namespace, execution.flow_id, execution.id, execution.trigger)
        engine = self.engine
        services = engine.port_services(scope, lambda: self.store.logs(execution_id))
        variables = {**engine.config.variables(), **task_run_variables(graph, execution, run)}
        return engine.renderer.render(expression, variables, services)

    def set_labels(self, execution_id: str, labels: Sequence[tuple[str, str]]) -> Execution:
        """Add or update labels of an ended execution, as Kestra's API does: the others stay, an empty value
        drops its key, and no system label can be set."""
        check_user_labels(labels)
        stored = self._ended(execution_id)
        execution = stored.execution
        execution.labels = merge_labels(((label.key, label.value) for label in execution.labels), labels)
        execution.version = self._commit_header(stored)
        return execution

    def change_status(self, execution_id: str, state: StateType) -> Execution:
        """Replace the final state of an ended execution; nothing runs (spec part 2 §14.3)."""
        if not state.terminated:
            raise ExecutionStateError(
                f"Cannot change the status to '{state.value}': only a terminal state is allowed."
            )
        stored = self._ended(execution_id)
        execution = stored.execution
        execution.with_state(state, self.clock.now())
        execution.version = self._commit_header(stored)
        return execution

    def _commit_header(self, stored: StoredExecution) -> int:
        """Write a change of the header alone (labels, a final state), carrying what is still to send."""
        pending = tuple(still_pending(stored.outbox, Delivery(), self.clock.now()))
        return self.store.commit(Commit(stored.execution, frozenset(), frozenset(), pending, ()))

    def _stored(self, execution_id: str) -> StoredExecution:
        stored = self.store.load(execution_id)
        if stored is None:
            raise NotFoundError(f"Execution '{execution_id}' not found")
        return stored

    def _ended(self, execution_id: str) -> StoredExecution:
        stored = self._stored(execution_id)
        state = stored.execution.state.current
        if not state.terminated or state == StateType.KILLED:
            raise ExecutionStateError(
                f"Cannot change the state of execution '{execution_id}': it is {state.value}, "
                "expected terminated and not KILLED."
            )
        return stored

    def _apply_now(self, stored: StoredExecution, event: Restart | SetTaskRunState, reason: str) -> Execution:
        """Applied here, like Kestra's API, so the caller gets the execution RESTARTED; a write that loses a
        race with a step of the dispatcher fails instead of applying it twice. What earlier steps may still
        have to send is carried, as every commit does (decision 0012)."""
        execution = stored.execution
        graph = self.catalog.graph(execution.namespace, execution.flow_id, execution.flow_revision)
        result = advance(graph, execution, [event], self.engine, passes=False)
        changed = result.execution
        wake = messages.wake(execution.id, reason)
        changed.version = execution.version
        now = self.clock.now()
        outbox = (*still_pending(stored.outbox, Delivery(), now), OutboxEntry(wake, now))
        changed.version = self.store.commit(
            Commit(changed, result.changed, result.removed, outbox, result.logs)
        )
        self.bus.send([wake])
        return changed

    def replay(
        self,
        execution_id: str,
        task_run_id: str | None = None,
        revision: int | None = None,
        inputs: Mapping[str, Any] | None = None,
        files: Mapping[str, Upload] | None = None,
        *,
        latest_revision: bool = False,
    ) -> Execution:
        """A new execution from this one (spec part 2 §14.2), in any state: from the start, or from
        `task_run_id` with what ran before it kept; `inputs` (with the uploads of FILE inputs in `files`)
        replaces the inputs, validated again. It runs `revision`, else the flow's latest with
        `latest_revision`, else the one this execution ran."""
        source = self.get(execution_id)
        which = None if latest_revision and revision is None else (revision or source.flow_revision)
        graph = self.catalog.graph(source.namespace, source.flow_id, which)
        if graph.flow.disabled:
            raise FlowDisabledError(f"Cannot execute a disabled flow '{source.namespace}.{source.flow_id}'")
        new_id = self.ids.new_id()
        typed = None
        if inputs is not None or files:
            uploads = place(files or {}, source.namespace, source.flow_id, new_id)
            typed = self.engine.typed_inputs(graph.flow, {**(inputs or {}), **uploads.uris})
            uploads.store(self.engine.resources.storage)
        new = replay(graph, source, new_id, self.clock.now(), from_task_run=task_run_id, inputs=typed)
        return self._start(new, "replayed")

    def _start(self, execution: Execution, reason: str) -> Execution:
        wake = messages.wake(execution.id, reason)
        execution.version = self.store.create(execution, [OutboxEntry(wake, self.clock.now())])
        self.bus.send([wake])
        return execution

    def pause(self, execution_id: str) -> Execution:
        """Pause a running execution by hand: what runs finishes, nothing new starts until resumed."""
        execution = self.get(execution_id)
        if execution.state.current != StateType.RUNNING:
            raise ExecutionStateError("Cannot pause execution: the execution is not running.")
        self.bus.send([messages.pause(execution_id, execution.version)])
        return execution

    def unqueue(self, execution_id: str, state: StateType = StateType.RUNNING) -> Execution:
        """Take a QUEUED execution out of its flow's concurrency queue (spec part 2 §4.2): RUNNING starts it
        without taking a slot, CANCELLED or FAILED ends it."""
        if state not in UNQUEUE_STATES:
            raise ExecutionStateError(
                f"Cannot unqueue execution to '{state.value}': only RUNNING, CANCELLED or FAILED is allowed."
            )
        execution = self.get(execution_id)
        if execution.state.current != StateType.QUEUED:
            raise ExecutionStateError("Cannot unqueue execution: the execution is not queued.")
        self.bus.send([messages.unqueue(execution_id, execution.version, state)])
        return execution

    def force_run(self, execution_id: str) -> Execution:
        """Kestra's force-run of an execution that has not ended: a CREATED one starts now (admitted or not,
        its scheduleDate come or not), a QUEUED one leaves the queue to run, a PAUSED one is resumed; any
        other is looked at again."""
        execution = self.get(execution_id)
        state = execution.state.current
        if state.terminated:
            raise ExecutionStateError("Cannot force run execution: the execution is terminated.")
        if state == StateType.PAUSED:
            return self.resume(execution_id)
        if state in (StateType.CREATED, StateType.QUEUED):
            self.bus.send([messages.unqueue(execution_id, execution.version, StateType.RUNNING, force=True)])
        else:
            self.bus.send([messages.wake(execution_id, f"force-run-{execution.version}")])
        return execution

    def get(self, execution_id: str) -> Execution:
        return self._stored(execution_id).execution

    def fully_terminated(self, execution: Execution) -> bool:
        """Terminal, and its afterExecution tasks are done too."""
        graph = self.catalog.graph(execution.namespace, execution.flow_id, execution.flow_revision)
        return fully_terminated(graph, execution)

    def logs(self, execution_id: str) -> list[LogEntry]:
        return self.store.logs(execution_id)
