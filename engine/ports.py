"""Ports: everything the engine needs from the outside world comes through these Protocols.

Adapters live in `engine.memory` (in-memory, for fast tests) and `infra.aws` (DynamoDB, SQS,
S3, EventBridge Scheduler). The same contract test suite runs against both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from engine.flow import FlowGraph
from engine.model.execution import Execution


class Clock(Protocol):
    def now(self) -> datetime:
        """Current instant, timezone-aware UTC."""
        ...


class IdGenerator(Protocol):
    """All the randomness the engine gets."""

    def new_id(self) -> str:
        """A new random id (22-char base62, Kestra's format)."""
        ...

    def random_below(self, bound: int) -> int:
        """A random integer in [0, bound)."""
        ...

    def random_bytes(self, size: int) -> bytes:
        """`size` random bytes, fit for keys and IVs."""
        ...


class ConcurrentModificationError(Exception):
    """A conditional write lost a race: reload and apply the events again."""


class NotFoundError(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class FlowRecord:
    namespace: str
    id: str
    revision: int
    source: str
    deleted: bool = False


class FlowRepository(Protocol):
    def save(self, namespace: str, flow_id: str, source: str) -> FlowRecord:
        """Store `source` as revision n+1, or return the latest revision unchanged if identical."""
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


class FlowGraphs(Protocol):
    """Parsed flows for the engine: what a Subflow starts and what a child reports back to."""

    def graph(self, namespace: str, flow_id: str, revision: int | None = None) -> FlowGraph:
        """A revision (latest when None); raises NotFoundError when absent."""
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


@dataclass(frozen=True, slots=True)
class Message:
    """One message for a queue. `dedup_id` is derived from what the message is for, so a re-send after a
    crash is recognised by the receiver."""

    queue: QueueName
    body: dict[str, Any]
    dedup_id: str
    group_id: str | None = None
    deliver_at: datetime | None = None


class MessageBus(Protocol):
    def send(self, messages: Sequence[Message]) -> None: ...


@dataclass(frozen=True, slots=True)
class LogEntry:
    execution_id: str
    level: str
    message: str
    timestamp: datetime
    task_run_id: str | None = None
    task_id: str | None = None
    attempt_number: int | None = None


@dataclass(slots=True)
class StoredExecution:
    execution: Execution
    outbox: list[Message] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Commit:
    """What one dispatcher step writes: the new header, the task runs it changed or removed, the messages
    to send afterwards (the outbox) and the log lines produced."""

    execution: Execution
    changed: frozenset[str]
    removed: frozenset[str] = frozenset()
    outbox: tuple[Message, ...] = ()
    logs: tuple[LogEntry, ...] = ()


class ExecutionStore(Protocol):
    def create(self, execution: Execution, outbox: Sequence[Message] = ()) -> int:
        """Store a new execution with its task runs and outbox, and return its version (1); raise
        ConcurrentModificationError if the id exists."""
        ...

    def load(self, execution_id: str) -> StoredExecution | None: ...

    def version(self, execution_id: str) -> int | None:
        """The stored version alone: a cheap check that a copy kept in memory is still current."""
        ...

    def commit(self, commit: Commit) -> int:
        """Write conditionally on `commit.execution.version` (the version that was loaded) and return the
        new version; raise ConcurrentModificationError when another writer got there first."""
        ...

    def logs(self, execution_id: str) -> list[LogEntry]: ...

    def search(
        self, namespace: str | None = None, flow_id: str | None = None, state: str | None = None
    ) -> list[Execution]:
        """Executions without their task runs, newest first."""
        ...


class Storage(Protocol):
    """Internal storage; `kestra:///…` URIs."""

    def put(self, path: str, data: bytes) -> str:
        """Store and return the kestra:// URI."""
        ...

    def get(self, uri: str) -> bytes: ...

    def exists(self, uri: str) -> bool: ...

    def size(self, uri: str) -> int:
        """Size in bytes; NotFoundError when absent."""
        ...


class SecretStore(Protocol):
    def get(self, namespace: str, key: str) -> str | None:
        """The secret visible from `namespace` under `key`, or None."""
        ...


@dataclass(frozen=True, slots=True)
class KVEntry:
    """One KV pair: the value as JSON text with Kestra's KV type, and when it expires."""

    type: str
    json_value: str
    updated: datetime
    expiration_date: datetime | None = None


class KVStore(Protocol):
    def get(self, namespace: str, key: str) -> KVEntry | None:
        """The entry, expired or not (the caller compares with its clock)."""
        ...

    def put(self, namespace: str, key: str, entry: KVEntry, *, overwrite: bool = True) -> bool:
        """Store; False (and nothing written) when the key exists and `overwrite` is false."""
        ...

    def delete(self, namespace: str, key: str) -> bool:
        """Remove; False when there was nothing to remove."""
        ...

    def list(self, namespace: str) -> list[tuple[str, KVEntry]]:
        """Every key of the namespace with its entry, sorted by key."""
        ...


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes


class HttpError(Exception):
    """The request could not be made (refused address, network error, timeout)."""


class HttpClient(Protocol):
    def request(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> HttpResponse: ...


@dataclass(frozen=True, slots=True)
class Resources:
    """The outside world a running task and its expressions may reach."""

    secrets: SecretStore
    kv: KVStore
    storage: Storage
    http: HttpClient
