"""Ports: what the dispatcher, the worker and the API services keep and send through — flows, executions,
concurrency slots, queues. (What a running task may reach is in `engine.resources`.)

Adapters live in `engine.memory` (in-memory, for fast tests) and `infra.aws` (DynamoDB, SQS,
S3, EventBridge Scheduler). The same contract test suite runs against both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from msgspec import Struct, field

from engine.flow.graph import FlowGraph
from engine.flow.schedule import Dates
from engine.model.execution import Execution
from engine.model.logs import LogEntry, LogPurge
from engine.model.state import StateType


class ConcurrentModificationError(Exception):
    """A conditional write lost a race: reload and apply the events again."""


class FlowRecord(Struct, frozen=True):
    namespace: str
    id: str
    revision: int
    source: str
    deleted: bool = False
    # The source's parsed document (engine/flow/document.py), when it has an exact stored form.
    document: bytes | None = None


class FlowRepository(Protocol):
    def save(self, namespace: str, flow_id: str, source: str, document: bytes | None = None) -> FlowRecord:
        """Store `source` (and its document) as revision n+1, or return the latest revision unchanged if
        its source is identical."""
        ...

    def get(self, namespace: str, flow_id: str, revision: int | None = None) -> FlowRecord | None:
        """A revision (latest when None); None when absent or deleted (latest only)."""
        ...

    def delete(self, namespace: str, flow_id: str) -> None:
        """Write a tombstone revision."""
        ...

    def list(self, namespace: str | None = None) -> list[FlowRecord]:
        """Latest non-deleted revision of every flow."""
        ...

    def generation(self) -> int:
        """A number every save or delete of any flow increases: what was read of the flows is current while
        it stays the same (one read, where listing the flows reads them all)."""
        ...


class FlowGraphs(Protocol):
    """Parsed flows for the engine: what a Subflow starts and what a child reports back to."""

    def graph(self, namespace: str, flow_id: str, revision: int | None = None) -> FlowGraph:
        """A revision (latest when None); raises NotFoundError when absent."""
        ...


class PreconditionState(Struct, frozen=True):
    """What a Flow trigger's preconditions have seen in one window: when each named condition last matched,
    and the upstream executions whose match completed them (a step run again finds its own there)."""

    matches: dict[str, datetime]
    fired: tuple[str, ...] = ()
    version: int = 0


class Backfill(Struct, frozen=True):
    """Past dates of a schedule replayed from the triggers API, one after another (Kestra's Backfill)."""

    id: str  # its executions' ids derive from it: a second backfill of the same dates starts new ones
    start: datetime
    end: datetime | None
    current: datetime  # the first date not replayed yet
    inputs: Mapping[str, Any] = field(default_factory=dict)
    labels: tuple[tuple[str, str], ...] = ()
    paused: bool = False


class ScheduleState(Struct, frozen=True):
    """Where a Schedule trigger stands (Kestra's trigger context). `version` 0: never stored."""

    next: datetime | None  # the first date not handled yet (Kestra's nextExecutionDate); None: no more
    date: datetime | None = None  # the date of the last execution started
    execution_id: str | None = None  # that execution: the next date waits while it runs
    started: datetime | None = None  # when it was sent to be created
    backfill: Backfill | None = None
    version: int = 0


class TriggerStateStore(Protocol):
    """What the triggers API changes of a trigger without changing its flow: whether it is disabled."""

    def disabled(self) -> dict[tuple[str, str, str], bool]:
        """(namespace, flow id, trigger id) → disabled, for every trigger set through the API."""
        ...

    def set_disabled(self, namespace: str, flow_id: str, trigger_id: str, disabled: bool) -> None: ...

    def forget(self, namespace: str, flow_id: str, trigger_id: str) -> bool:
        """Drop what was set and where a schedule stands (the flow's own `disabled` counts again, a
        schedule starts again from its next date); False when nothing was."""
        ...

    def schedule(self, namespace: str, flow_id: str, trigger_id: str) -> ScheduleState | None: ...

    def save_schedule(self, namespace: str, flow_id: str, trigger_id: str, state: ScheduleState) -> int:
        """Write conditionally on `state.version` (the version read, 0 for a new one) and return the new
        version; raise ConcurrentModificationError when another writer got there first."""
        ...


class Wake(Struct, frozen=True):
    """When a schedule must be looked at: at the dates of `dates` (a trigger's cron or date list)."""

    trigger_id: str
    dates: Dates


class TriggerWakes(Protocol):
    """What wakes the schedules up at their dates (EventBridge Scheduler in AWS)."""

    def set(self, namespace: str, flow_id: str, wakes: Sequence[Wake]) -> None:
        """Make the flow's wakes exactly these: create, change or delete."""
        ...


# Firers a precondition state remembers: enough for the steps that may still run again.
FIRERS_KEPT = 10


class PreconditionStore(Protocol):
    """The state of Flow trigger preconditions across executions (spec part 1 §9.4): concurrent ends are
    counted once, and one completion fires once."""

    def record(self, key: str, names: Sequence[str], at: datetime, expires: datetime) -> PreconditionState:
        """Note that `names` matched at `at`, atomically; the state after, with a new version. The state
        may be dropped after `expires`."""
        ...

    def fire(self, key: str, version: int, upstream_id: str) -> bool:
        """Clear the matches and remember `upstream_id` among the firers, if nothing was recorded since
        `version`; False when another writer came first."""
        ...


class ConcurrencyStore(Protocol):
    """Flow concurrency slots (spec part 2 §4): who holds one, and who waits, per flow.

    Holders are kept by execution id, so taking or giving back a slot twice changes nothing and the
    count cannot drift (decision 0009)."""

    def acquire(self, flow: str, execution_id: str, limit: int) -> tuple[bool, int]:
        """Take a slot if fewer than `limit` are held (or keep the one held); (granted, slots held now)."""
        ...

    def release(self, flow: str, execution_id: str) -> None:
        """Give the slot back; nothing when not held."""
        ...

    def enqueue(self, flow: str, execution_id: str, queued_at: datetime) -> None:
        """Wait for a slot; queueing again keeps one entry."""
        ...

    def dequeue(self, flow: str, execution_id: str, queued_at: datetime) -> bool:
        """Leave the queue; True when this call removed the entry (so two callers never both pop it)."""
        ...

    def queued(self, flow: str, limit: int) -> list[tuple[datetime, str]]:
        """The oldest waiting executions, first in first out."""
        ...


class QueueName(StrEnum):
    DISPATCH = "dispatch"  # FIFO, grouped by execution id
    WORKER = "worker"  # standard
    TIMER = "timer"  # standard, delivered at `deliver_at`


class Message(Struct, frozen=True):
    """One message for a queue. `dedup_id` is derived from what the message is for, so a re-send after a
    crash is recognised by the receiver."""

    queue: QueueName
    body: dict[str, Any]
    dedup_id: str
    group_id: str | None = None
    deliver_at: datetime | None = None


class MessageBus(Protocol):
    def send(self, messages: Sequence[Message]) -> None: ...


class OutboxEntry(Struct, frozen=True):
    """A message a step must send, kept with the execution while the delivery that wrote it may still have
    to send it again (decision 0012): a later step's commit carries it instead of overwriting it."""

    message: Message
    at: datetime  # when the step wrote it
    origins: tuple[str, ...] = ()  # the ids of the messages whose step wrote it; none for the API
    ordered: bool = False  # those messages came from the ordered (FIFO) dispatch queue


class Head(Struct, frozen=True):
    version: int
    state: StateType


class StoredExecution(Struct):
    execution: Execution
    outbox: list[OutboxEntry] = field(default_factory=list)


class Commit(Struct, frozen=True):
    """What one step writes, whatever its size, atomically (design §4): the new header, the task runs it
    changed or removed, the messages to send (the outbox, with those still pending from earlier steps) and
    the log lines produced. `header_changed` False says the header is the loaded one (only task runs,
    outbox and logs changed): a store may then leave it out of the write."""

    execution: Execution
    changed: frozenset[str]
    removed: frozenset[str] = frozenset()
    outbox: tuple[OutboxEntry, ...] = ()
    logs: tuple[LogEntry, ...] = ()
    header_changed: bool = True


class Claim(StrEnum):
    """What a worker learns when it claims an attempt (design §4: no attempt runs twice)."""

    CLAIMED = "CLAIMED"  # this worker runs the attempt
    HELD = "HELD"  # another worker claimed it and may still be running it: do nothing
    LAPSED = "LAPSED"  # claimed by a worker that outlived its lease without a word: the attempt is lost


class ExecutionStore(Protocol):
    def create(self, execution: Execution, outbox: Sequence[OutboxEntry] = ()) -> int:
        """Store a new execution with its task runs and outbox, and return its version (1); raise
        ConcurrentModificationError if the id exists."""
        ...

    def load(self, execution_id: str, known: StoredExecution | None = None) -> StoredExecution | None:
        """The stored execution. `known`, a copy this caller loaded or committed before (never changed
        since), lets a store read only what was written after it; the result is the same."""
        ...

    def head(self, execution_id: str) -> Head | None:
        """The stored version and state alone: a cheap check that a copy kept in memory is still current,
        or that an execution has ended."""
        ...

    def commit(self, commit: Commit) -> int:
        """Write conditionally on `commit.execution.version` (the version that was loaded) and return the
        new version; raise ConcurrentModificationError when another writer got there first. Only a loaded
        execution is committed."""
        ...

    def logs(self, execution_id: str) -> list[LogEntry]:
        """The committed log lines, and those of attempts still running (`append_live_logs`)."""
        ...

    def append_live_logs(
        self, execution_id: str, task_run_id: str, attempt: int, chunk: int, entries: Sequence[LogEntry]
    ) -> None:
        """Lines of an attempt still running, written as they come (chunk 1, 2, … of the attempt; writing a
        chunk again changes nothing). `logs()` shows them until lines of that attempt are committed."""
        ...

    def claim(
        self, execution_id: str, task_run_id: str, attempt: int, now: datetime, lease: timedelta
    ) -> Claim:
        """Take attempt `attempt` of a task run for one worker, for `lease`, before any side effect. Only
        the first caller gets CLAIMED; later ones get HELD until the lease runs out, then LAPSED."""
        ...

    def delete(self, execution_id: str) -> bool:
        """Remove the execution, its logs and its claims; False when there was none."""
        ...

    def purge_logs(self, execution_id: str, purge: LogPurge) -> None:
        """Delete the log lines `purge` matches: `logs()` no longer returns them."""
        ...

    def search(
        self,
        namespace: str | None = None,
        flow_id: str | None = None,
        state: str | None = None,
        started_by: str | None = None,
        limit: int | None = None,
    ) -> list[Execution]:
        """Executions' headers (no task runs; `version` and `nextSeq` are not kept), newest first;
        `started_by`: those whose `trigger_execution_id()` it is; `limit`: the newest that many only (a
        flow's reads no more)."""
        ...
