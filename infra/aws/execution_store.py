"""Executions in one DynamoDB table, as a journal of steps (design §3, decision 0013).

Items of execution X:
- `pk=EXEC#X, sk=V#<version>`: what the step that made that version wrote, in one item: the task runs it
  changed (whole), the ones it removed, the header when it changed, the outbox (whole: the messages still
  to send) and its log lines, plus `state` (for `head`). A step is one conditional PutItem on its own
  key: two writers that read the same version race for the same key and one loses. Every
  `SNAPSHOT_EVERY`th entry (and the first) is full: the whole execution. Loading reads back from the newest
  entry to a full one, or to the version a reader already holds, and folds them in order.
- `pk=EXEC#X, sk=H`: the header alone, with the `gsi1` keys that list a flow's executions newest first,
  and for an execution another one started (a Subflow's child, a Flow trigger's), the `gsi2` keys that list
  what that one started.
  It is for listing: written (in one transaction with the entry) only by the steps that change the header,
  a few per execution.
- `pk=EXEC#X#CLAIMS, sk=<task run id>#<attempt>`: a worker's claim on an attempt, with its lease.

A document larger than `SPILL_BYTES` compressed is stored in S3 under a content-derived key, written
before the item that names it (`docRef`): no item approaches DynamoDB's 400 KB, and a step of any size is
still one write, so atomic (design §4).

Why not one item per task run: a transaction bills 2 WCU per KB of each item, so a step that ends one
task run and starts the next cost about 10 WCU (header, two task runs, logs); its journal entry, one
compressed item, costs 1 or 2.
"""

from __future__ import annotations

import copy
import json
import zlib
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING, Any

from engine.model import serde
from engine.model.execution import Execution, TaskRuns
from engine.model.logs import LogEntry, LogPurge, kept, with_live
from engine.model.serde import log_from_json, log_to_json
from engine.model.state import StateType
from engine.ports import (
    Claim,
    Commit,
    ConcurrentModificationError,
    Head,
    OutboxEntry,
    StoredExecution,
)
from infra.aws.blobs import S3Blobs
from infra.aws.codec import entry_from_json, entry_to_json
from infra.aws.session import AwsSession

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import (
        AttributeValueTypeDef,
        QueryInputTypeDef,
        ScanInputTypeDef,
        TransactWriteItemTypeDef,
        WriteRequestTypeDef,
    )

    Item = dict[str, AttributeValueTypeDef]

_PURGES = "LOGS"
# A live chunk keeps the lines that fit this (an item holds 400 KB); the attempt's result has them all.
LIVE_CHUNK_CHARS = 300_000
# Past this size (compressed) a document goes to S3.
SPILL_BYTES = 32 * 1024
# Every this many versions a step writes the whole execution (a snapshot), so that a load reads at most
# this many entries: the cost of a snapshot (its size) is spread over the steps between two.
SNAPSHOT_EVERY = 64
_LOAD_PAGE = 16
_HEADER = "H"
_ENTRY = "V#"
_RETRYABLE_REASONS = ("ConditionalCheckFailed", "TransactionConflict")


class DynamoExecutionStore:
    def __init__(self, session: AwsSession, table: str, blobs: S3Blobs) -> None:
        self._session = session
        self._table = table
        self._blobs = blobs

    def create(self, execution: Execution, outbox: Sequence[OutboxEntry] = ()) -> int:
        delta = {
            "header": serde.header_to_json(execution, internal=True),
            "nextSeq": execution.next_seq,
            "runs": [serde.task_run_to_json(run, internal=True) for run in execution.task_runs],
            "outbox": [entry_to_json(m) for m in outbox],
            "full": True,
        }
        self._write(execution, 1, delta, header=True)
        return 1

    def commit(self, commit: Commit) -> int:
        """One conditional write on the next version's key. Committing requires a loaded execution: an
        execution that does not exist has no entries to race with, so its commit is not refused."""
        execution = commit.execution
        version = execution.version + 1
        runs = commit.execution.task_runs
        full = version % SNAPSHOT_EVERY == 0
        written = (
            runs
            if full
            else [runs.get(i) for i in sorted(commit.changed - commit.removed, key=lambda i: runs.get(i).seq)]
        )
        delta: dict[str, Any] = {
            "nextSeq": execution.next_seq,
            "runs": [serde.task_run_to_json(run, internal=True) for run in written],
            "outbox": [entry_to_json(m) for m in commit.outbox],
        }
        if full:
            delta["full"] = True
        elif commit.removed:
            delta["removed"] = sorted(commit.removed)
        if commit.header_changed or full:
            delta["header"] = serde.header_to_json(execution, internal=True)
        if commit.logs:
            delta["logs"] = [log_to_json(entry) for entry in commit.logs]
        self._write(execution, version, delta, header=commit.header_changed)
        return version

    def load(self, execution_id: str, known: StoredExecution | None = None) -> StoredExecution | None:
        """Newest entries first, back to `known` or to the latest full entry, whichever comes first: a load
        reads at most `SNAPSHOT_EVERY` entries, however long the execution's history."""
        after = known.execution.version if known is not None else 0
        request: QueryInputTypeDef = {
            **self._entries(execution_id, after),
            "ScanIndexForward": False,
            # A page is billed whole: small pages read little past the snapshot.
            "Limit": _LOAD_PAGE,
        }
        newest_first: list[dict[str, Any]] = []
        for item in self._query(request):
            newest_first.append(self._entry(item))
            if newest_first[-1].get("full"):
                break
        entries = newest_first[::-1]
        if known is not None and not entries:
            return StoredExecution(known.execution, list(known.outbox))
        if not entries:
            return None
        return _fold(None if entries[0].get("full") else known, entries)

    def head(self, execution_id: str) -> Head | None:
        request: QueryInputTypeDef = {
            **self._entries(execution_id, 0),
            "ScanIndexForward": False,
            "Limit": 1,
            "ProjectionExpression": "version, #state",
            "ExpressionAttributeNames": {"#state": "state"},
            "ReturnConsumedCapacity": "TOTAL",
        }
        page = self._session.dynamodb.query(**request)
        items = page.get("Items", [])
        if not items:
            return None
        return Head(int(items[0]["version"]["N"]), StateType(items[0]["state"]["S"]))

    def delete(self, execution_id: str) -> bool:
        """Every item of the execution and of its claims, 25 at a time (BatchWriteItem's limit); spilled
        documents stay in S3 (content-addressed, they may be shared)."""
        ddb = self._session.dynamodb
        keys: list[Item] = []
        for pk in (_pk(execution_id), f"{_pk(execution_id)}#CLAIMS", _live_pk(execution_id)):
            request: QueryInputTypeDef = {**self._partition(pk), "ProjectionExpression": "pk, sk"}
            keys += [{"pk": item["pk"], "sk": item["sk"]} for item in self._query(request)]
        for start in range(0, len(keys), 25):
            pending: list[WriteRequestTypeDef] = [
                {"DeleteRequest": {"Key": key}} for key in keys[start : start + 25]
            ]
            while pending:
                response = ddb.batch_write_item(RequestItems={self._table: pending})
                unprocessed = response.get("UnprocessedItems", {}).get(self._table, [])
                pending = [{"DeleteRequest": {"Key": r["DeleteRequest"]["Key"]}} for r in unprocessed]
        return any(key["pk"]["S"] == _pk(execution_id) for key in keys)

    def logs(self, execution_id: str) -> list[LogEntry]:
        entries = [
            log_from_json(entry)
            for item in self._query(self._entries(execution_id, 0))
            for entry in self._entry(item).get("logs", ())
        ]
        live = [
            log_from_json(entry)
            for item in self._query(self._partition(_live_pk(execution_id)))
            for entry in json.loads(str(item["lines"]["S"]))
        ]
        merged = with_live(entries, live)
        return kept(merged, self._purges(execution_id)) if merged else []

    def append_live_logs(
        self, execution_id: str, task_run_id: str, attempt: int, chunk: int, entries: Sequence[LogEntry]
    ) -> None:
        """One put per chunk (a few seconds of an attempt's lines), in a partition of its own: never in the
        journal, which only the dispatcher's steps write."""
        kept_lines: list[str] = []
        size = 2
        for entry in entries:
            line = json.dumps(log_to_json(entry), separators=(",", ":"))
            size += len(line) + 1
            if size > LIVE_CHUNK_CHARS:
                break  # the rest shows with the attempt's result
            kept_lines.append(line)
        lines = "[" + ",".join(kept_lines) + "]"
        self._session.dynamodb.put_item(
            TableName=self._table,
            Item={
                "pk": {"S": _live_pk(execution_id)},
                "sk": {"S": f"{task_run_id}#{attempt:06d}#{chunk:06d}"},
                "lines": {"S": lines},
            },
            ReturnConsumedCapacity="TOTAL",
        )

    def purge_logs(self, execution_id: str, purge: LogPurge) -> None:
        """A purge is appended to the execution's `sk=LOGS` item; `logs()` leaves out what it matches."""
        self._session.dynamodb.update_item(
            TableName=self._table,
            Key={"pk": {"S": _pk(execution_id)}, "sk": {"S": _PURGES}},
            UpdateExpression="SET purges = list_append(if_not_exists(purges, :none), :purge)",
            ExpressionAttributeValues={
                ":none": {"L": []},
                ":purge": {"L": [{"S": json.dumps(serde.purge_to_json(purge))}]},
            },
        )

    def _purges(self, execution_id: str) -> list[LogPurge]:
        item = self._session.dynamodb.get_item(
            TableName=self._table,
            Key={"pk": {"S": _pk(execution_id)}, "sk": {"S": _PURGES}},
            ConsistentRead=True,
            ReturnConsumedCapacity="TOTAL",
        ).get("Item")
        listed = item.get("purges", {}).get("L", []) if item else []
        return [serde.purge_from_json(json.loads(str(entry.get("S")))) for entry in listed]

    def claim(
        self, execution_id: str, task_run_id: str, attempt: int, now: datetime, lease: timedelta
    ) -> Claim:
        """One conditional put (1 WCU): the first worker's claim stands, whoever else comes."""
        ddb = self._session.dynamodb
        key: Item = {"pk": {"S": f"{_pk(execution_id)}#CLAIMS"}, "sk": {"S": f"{task_run_id}#{attempt}"}}
        try:
            ddb.put_item(
                TableName=self._table,
                Item=key | {"leaseUntil": {"S": serde.format_instant(now + lease)}},
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                ReturnConsumedCapacity="TOTAL",
            )
        except ddb.exceptions.ConditionalCheckFailedException as error:
            old: dict[str, Any] = dict(error.response.get("Item") or {})  # type: ignore[call-overload]
            held = old.get("leaseUntil", {}).get("S")
            return Claim.HELD if held is not None and now < serde.parse_instant(held) else Claim.LAPSED
        return Claim.CLAIMED

    def search(
        self,
        namespace: str | None = None,
        flow_id: str | None = None,
        state: str | None = None,
        started_by: str | None = None,
        limit: int | None = None,
    ) -> list[Execution]:
        if started_by is not None:
            started: QueryInputTypeDef = {
                "TableName": self._table,
                "IndexName": "gsi2",
                "KeyConditionExpression": "gsi2pk = :pk",
                "ExpressionAttributeValues": {":pk": {"S": _gsi2pk(started_by)}},
                "ScanIndexForward": False,
            }
            matching = (
                execution
                for execution in map(self._listed, self._query(started))
                if namespace in (None, execution.namespace)
                and flow_id in (None, execution.flow_id)
                and state in (None, execution.state.current.value)
            )
            return list(islice(matching, limit))
        values: dict[str, AttributeValueTypeDef] = {}
        filters: list[str] = []
        if state is not None:
            filters.append("#state = :state")
            values[":state"] = {"S": state}
        names = {"#state": "state"} if state is not None else {}
        if namespace is not None and flow_id is not None:
            values[":pk"] = {"S": _gsi1pk(namespace, flow_id)}
            query: QueryInputTypeDef = {
                "TableName": self._table,
                "IndexName": "gsi1",
                "KeyConditionExpression": "gsi1pk = :pk",
                "ExpressionAttributeValues": values,
                "ScanIndexForward": False,
            }
            if filters:
                query |= {"FilterExpression": filters[0], "ExpressionAttributeNames": names}
            elif limit is not None:
                query["Limit"] = limit  # pages of that many: the query stops at the first
            # Pages are read as the items are taken, so a `limit` stops the reads.
            items = list(islice(self._query(query), limit))
        else:
            # Without a flow there is no key to query by: scan the listing index, which holds the headers
            # alone. A scan bills every item it reads, and the table's journal entries (one per step) far
            # outnumber the headers. A namespace index is the way to grow.
            for attribute, value in (("namespace", namespace), ("flowId", flow_id)):
                if value is not None:
                    filters.append(f"#{attribute} = :{attribute}")
                    names[f"#{attribute}"] = attribute
                    values[f":{attribute}"] = {"S": value}
            scan: ScanInputTypeDef = {"TableName": self._table, "IndexName": "gsi1"}
            if filters:
                scan |= {"FilterExpression": " AND ".join(filters), "ExpressionAttributeValues": values}
            if names:
                scan["ExpressionAttributeNames"] = names
            items = sorted(self._scan(scan), key=lambda item: item["gsi1sk"]["S"], reverse=True)[:limit]
        return [self._listed(item) for item in items]

    # Writing

    def _write(self, execution: Execution, version: int, delta: dict[str, Any], *, header: bool) -> None:
        """The entry of `version`, on condition that nobody wrote it; with the listing header when the step
        changed it, in one transaction with the entry."""
        pk = _pk(execution.id)
        entry: Item = {
            "pk": {"S": pk},
            "sk": {"S": _entry_key(version)},
            "version": {"N": str(version)},
            "state": {"S": execution.state.current.value},
        }
        entry |= self._doc(execution.id, json.dumps(delta, separators=(",", ":")))
        condition = "attribute_not_exists(pk)"
        ddb = self._session.dynamodb
        try:
            if not header:
                ddb.put_item(
                    TableName=self._table,
                    Item=entry,
                    ConditionExpression=condition,
                    ReturnConsumedCapacity="TOTAL",
                )
                return
            listing: Item = {
                "pk": {"S": pk},
                "sk": {"S": _HEADER},
                "version": {"N": str(version)},
                "state": {"S": execution.state.current.value},
                "namespace": {"S": execution.namespace},
                "flowId": {"S": execution.flow_id},
                "gsi1pk": {"S": _gsi1pk(execution.namespace, execution.flow_id)},
                "gsi1sk": {"S": f"{serde.format_instant(execution.state.start_date)}#{execution.id}"},
            }
            started_by = execution.trigger_execution_id()
            if started_by is not None:  # a sparse index: only the executions another one started
                listing |= {"gsi2pk": {"S": _gsi2pk(started_by)}, "gsi2sk": listing["gsi1sk"]}
            listing |= self._doc(execution.id, json.dumps(serde.header_to_json(execution)))
            ops: list[TransactWriteItemTypeDef] = [
                {"Put": {"TableName": self._table, "Item": entry, "ConditionExpression": condition}},
                {"Put": {"TableName": self._table, "Item": listing}},
            ]
            ddb.transact_write_items(TransactItems=ops, ReturnConsumedCapacity="TOTAL")
        except ddb.exceptions.ConditionalCheckFailedException as error:
            raise _conflict(execution.id, version) from error
        except ddb.exceptions.TransactionCanceledException as error:
            reasons = error.response.get("CancellationReasons") or [{}]
            if reasons[0].get("Code") in _RETRYABLE_REASONS:
                raise _conflict(execution.id, version) from error
            raise

    def _doc(self, execution_id: str, text: str) -> Item:
        packed = zlib.compress(text.encode(), 6)
        if len(packed) <= SPILL_BYTES:
            return {"doc": {"B": packed}}
        return {"docRef": {"S": self._blobs.put_addressed(f"_internal/executions/{execution_id}", text)}}

    # Reading

    def _text(self, item: Item) -> str:
        if "doc" in item:
            return zlib.decompress(item["doc"]["B"]).decode()
        return self._blobs.get(item["docRef"]["S"]).decode()

    def _entry(self, item: Item) -> dict[str, Any]:
        delta: dict[str, Any] = json.loads(self._text(item))
        delta["version"] = int(item["version"]["N"])
        return delta

    def _listed(self, item: Item) -> Execution:
        execution = serde.execution_from_json(json.loads(self._text(item)), task_runs=[])
        execution.version = int(item["version"]["N"])
        return execution

    def _partition(self, pk: str) -> QueryInputTypeDef:
        """Every item of one partition, read consistently."""
        return {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}},
            "ConsistentRead": True,
        }

    def _entries(self, execution_id: str, after: int) -> QueryInputTypeDef:
        return {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :after AND :last",
            "ExpressionAttributeValues": {
                ":pk": {"S": _pk(execution_id)},
                ":after": {"S": _entry_key(after + 1)},
                ":last": {"S": _entry_key(_LAST_VERSION)},
            },
            "ConsistentRead": True,
        }

    def _query(self, request: QueryInputTypeDef) -> Iterator[Item]:
        ddb = self._session.dynamodb
        params: QueryInputTypeDef = {**request, "ReturnConsumedCapacity": "TOTAL"}
        while True:
            page = ddb.query(**params)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _scan(self, request: ScanInputTypeDef) -> Iterator[Item]:
        ddb = self._session.dynamodb
        params: ScanInputTypeDef = {**request, "ReturnConsumedCapacity": "TOTAL"}
        while True:
            page = ddb.scan(**params)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


_LAST_VERSION = 10**10 - 1


def _entry_key(version: int) -> str:
    return f"{_ENTRY}{version:010d}"


def _fold(known: StoredExecution | None, entries: list[dict[str, Any]]) -> StoredExecution:
    """The execution after `entries` (in version order), from `known` (which is not changed) or from
    nothing. Each entry holds whole task runs and the whole outbox: the latest one wins."""
    runs = known.execution.task_runs.copy() if known is not None else TaskRuns()
    header: dict[str, Any] | None = None
    for delta in entries:
        if delta.get("full"):  # a snapshot: the whole execution at that version
            runs = TaskRuns()
        for run_id in delta.get("removed", ()):
            runs.remove(run_id)
        for doc in delta["runs"]:
            runs.put(serde.task_run_from_json(doc))
        header = delta.get("header", header)
    if header is not None:
        execution = serde.execution_from_json(header, task_runs=[])
    elif known is not None:
        execution = copy.copy(known.execution)
    else:
        raise ValueError(f"a journal without its first entry (version {entries[0]['version']})")
    last = entries[-1]
    execution.task_runs = runs
    execution.version = last["version"]
    execution.next_seq = int(last["nextSeq"])
    return StoredExecution(execution, [entry_from_json(m) for m in last["outbox"]])


def _conflict(execution_id: str, version: int) -> ConcurrentModificationError:
    return ConcurrentModificationError(
        f"execution {execution_id}: version {version} was written by another step"
    )


def _live_pk(execution_id: str) -> str:
    return f"{_pk(execution_id)}#LIVE"


def _pk(execution_id: str) -> str:
    return f"EXEC#{execution_id}"


def _gsi1pk(namespace: str, flow_id: str) -> str:
    return f"FLOW#{namespace}#{flow_id}"


def _gsi2pk(started_by: str) -> str:
    return f"STARTED_BY#{started_by}"
