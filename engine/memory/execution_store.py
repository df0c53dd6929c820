"""Executions in dicts, stored as JSON text so that callers and the store never share mutable state."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from msgspec import Struct, field

from engine.model import serde
from engine.model.execution import Execution
from engine.model.logs import LogEntry, LogPurge, kept, with_live
from engine.model.state import StateType
from engine.ports import (
    Claim,
    Commit,
    ConcurrentModificationError,
    Head,
    OutboxEntry,
    StoredExecution,
)


class _Row(Struct):
    header: str
    task_runs: dict[str, str]
    outbox: list[OutboxEntry]
    logs: list[LogEntry] = field(default_factory=list)
    purges: list[LogPurge] = field(default_factory=list)


class InMemoryExecutionStore:
    def __init__(self) -> None:
        self._rows: dict[str, _Row] = {}
        self._leases: dict[tuple[str, str, int], datetime] = {}
        # Lines of attempts still running, by (execution, task run, attempt, chunk).
        self._live: dict[tuple[str, str, int, int], tuple[LogEntry, ...]] = {}

    def create(self, execution: Execution, outbox: Sequence[OutboxEntry] = ()) -> int:
        if execution.id in self._rows:
            raise ConcurrentModificationError(f"execution {execution.id} exists")
        runs = {run.id: json.dumps(serde.task_run_to_json(run, internal=True)) for run in execution.task_runs}
        self._rows[execution.id] = _Row(_header(execution, 1), runs, copy.deepcopy(list(outbox)))
        return 1

    def load(self, execution_id: str, known: StoredExecution | None = None) -> StoredExecution | None:
        row = self._rows.get(execution_id)
        if row is None:
            return None
        if known is not None and json.loads(row.header)["version"] == known.execution.version:
            return StoredExecution(known.execution, list(known.outbox))
        runs = [serde.task_run_from_json(json.loads(text)) for text in row.task_runs.values()]
        execution = serde.execution_from_json(json.loads(row.header), task_runs=runs)
        return StoredExecution(execution, copy.deepcopy(row.outbox))

    def head(self, execution_id: str) -> Head | None:
        row = self._rows.get(execution_id)
        if row is None:
            return None
        header = json.loads(row.header)
        return Head(int(header["version"]), StateType(header["state"]["current"]))

    def commit(self, commit: Commit) -> int:
        execution = commit.execution
        row = self._rows.get(execution.id)
        stored_version = json.loads(row.header)["version"] if row is not None else None
        if row is None or stored_version != execution.version:
            raise ConcurrentModificationError(
                f"execution {execution.id}: expected version {execution.version}, found {stored_version}"
            )
        version = execution.version + 1
        for run_id in commit.removed:
            row.task_runs.pop(run_id, None)
        for run_id in commit.changed - commit.removed:
            row.task_runs[run_id] = json.dumps(
                serde.task_run_to_json(execution.task_runs.get(run_id), internal=True)
            )
        row.header = _header(execution, version)
        row.outbox = copy.deepcopy(list(commit.outbox))
        row.logs.extend(commit.logs)
        return version

    def delete(self, execution_id: str) -> bool:
        for lease in [key for key in self._leases if key[0] == execution_id]:
            del self._leases[lease]
        for chunk in [key for key in self._live if key[0] == execution_id]:
            del self._live[chunk]
        return self._rows.pop(execution_id, None) is not None

    def logs(self, execution_id: str) -> list[LogEntry]:
        row = self._rows.get(execution_id)
        if row is None:
            return []
        live = [e for key, chunk in sorted(self._live.items()) if key[0] == execution_id for e in chunk]
        return kept(with_live(row.logs, live), row.purges)

    def append_live_logs(
        self, execution_id: str, task_run_id: str, attempt: int, chunk: int, entries: Sequence[LogEntry]
    ) -> None:
        self._live.setdefault((execution_id, task_run_id, attempt, chunk), tuple(entries))

    def purge_logs(self, execution_id: str, purge: LogPurge) -> None:
        row = self._rows.get(execution_id)
        if row is not None:
            row.purges.append(purge)

    def claim(
        self, execution_id: str, task_run_id: str, attempt: int, now: datetime, lease: timedelta
    ) -> Claim:
        key = (execution_id, task_run_id, attempt)
        held_until = self._leases.get(key)
        if held_until is None:
            self._leases[key] = now + lease
            return Claim.CLAIMED
        return Claim.HELD if now < held_until else Claim.LAPSED

    def search(
        self,
        namespace: str | None = None,
        flow_id: str | None = None,
        state: str | None = None,
        started_by: str | None = None,
        limit: int | None = None,
    ) -> list[Execution]:
        found = []
        for row in self._rows.values():
            execution = serde.execution_from_json(json.loads(row.header), task_runs=[])
            if (
                (namespace is None or execution.namespace == namespace)
                and (flow_id is None or execution.flow_id == flow_id)
                and (state is None or execution.state.current.value == state)
                and (started_by is None or execution.trigger_execution_id() == started_by)
            ):
                found.append(execution)
        found.sort(key=lambda e: (e.state.start_date, e.id), reverse=True)
        return found[:limit]


def _header(execution: Execution, version: int) -> str:
    data = serde.header_to_json(execution, internal=True)
    data["version"] = version
    return json.dumps(data)
