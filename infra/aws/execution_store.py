"""Executions in one DynamoDB table (design §3).

Items of execution X:
- `pk=EXEC#X, sk=H`: the header JSON, `version` (the optimistic lock), `nextSeq`, the outbox, and the
  `gsi1` keys that list a flow's executions newest first.
- `pk=EXEC#X, sk=TR#<task run id>`: one task run each, so that a step writes only the runs it changed.
- `pk=EXEC#X#LOGS, sk=LOG#<version>`: the log lines of one commit, in one item. They live in their own
  partition so that loading an execution (one Query on `EXEC#X`) never reads them.
- `pk=EXEC#X#CLAIMS, sk=<task run id>#<attempt>`: a worker's claim on an attempt, with its lease.

A JSON document larger than `SPILL_BYTES` compressed is stored in S3 under a content-derived key and the
item keeps the key (`docRef`/`outboxRef`), so no item approaches DynamoDB's 400 KB limit.

A commit is one transaction (design §4: a step is atomic, decision 0012): the header, at most
MAX_COMMIT_RUNS task runs and one log item fit DynamoDB's 100 items and 4 MB, and the executor never asks
for more. A create may be larger (a replay copies task runs): its task runs are written first, in as many
transactions as they need, and are invisible until the last one writes the header.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from engine.model import serde
from engine.model.execution import Execution, TaskRun
from engine.model.logs import LogEntry
from engine.model.serde import log_from_json, log_to_json
from engine.model.state import StateType
from engine.ports import (
    MAX_COMMIT_RUNS,
    Claim,
    Commit,
    CommitTooLargeError,
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
        PutTypeDef,
        QueryInputTypeDef,
        ScanInputTypeDef,
        TransactWriteItemTypeDef,
    )

    Item = dict[str, AttributeValueTypeDef]

# 100 items of at most this much (plus keys) stay under a transaction's 4 MB.
SPILL_BYTES = 32 * 1024
_TRANSACTION_ITEMS = 100
_HEADER = "H"
_RETRYABLE_REASONS = ("ConditionalCheckFailed", "TransactionConflict")


class DynamoExecutionStore:
    def __init__(self, session: AwsSession, table: str, blobs: S3Blobs) -> None:
        self._session = session
        self._table = table
        self._blobs = blobs

    def create(self, execution: Execution, outbox: Sequence[OutboxEntry] = ()) -> int:
        runs = [self._put_task_run(execution, run.id) for run in execution.task_runs]
        first, last = runs[: -(_TRANSACTION_ITEMS - 1) or None], runs[-(_TRANSACTION_ITEMS - 1) :]
        if len(runs) < _TRANSACTION_ITEMS:
            first, last = [], runs
        for start in range(0, len(first), _TRANSACTION_ITEMS):
            # Without a header the execution does not exist: a crash here leaves nothing anyone reads, and
            # the create sent again writes the same items.
            self._session.dynamodb.transact_write_items(
                TransactItems=first[start : start + _TRANSACTION_ITEMS],
                ReturnConsumedCapacity="TOTAL",
            )
        self._transact([self._put_header(execution, 0, outbox), *last], execution.id, 0)
        return 1

    def commit(self, commit: Commit) -> int:
        execution = commit.execution
        runs = sorted(commit.changed - commit.removed)
        if len(runs) + len(commit.removed) > MAX_COMMIT_RUNS:
            raise CommitTooLargeError(
                f"execution {execution.id}: a commit of {len(runs) + len(commit.removed)} task runs, "
                f"more than the {MAX_COMMIT_RUNS} one transaction takes"
            )
        writes = [self._put_task_run(execution, run_id) for run_id in runs]
        writes += [self._delete(_pk(execution.id), f"TR#{run_id}") for run_id in sorted(commit.removed)]
        if commit.logs:
            writes.append(self._log_write(execution.id, execution.version + 1, commit.logs))
        expected = execution.version
        self._transact(
            [self._put_header(execution, expected, commit.outbox), *writes], execution.id, expected
        )
        return expected + 1

    def load(self, execution_id: str) -> StoredExecution | None:
        header: Item | None = None
        docs: list[dict[str, Any]] = []
        for item in self._query(self._partition(_pk(execution_id))):
            if item["sk"]["S"] == _HEADER:
                header = item
            else:
                docs.append(json.loads(self._text(item, "doc")))
        # Task runs without a header are what a crash half-way through a large create leaves.
        if header is None:
            return None
        runs = [serde.task_run_from_json(doc) for doc in docs]
        outbox = [entry_from_json(m) for m in json.loads(self._text(header, "outbox"))]
        return StoredExecution(self._header_execution(header, runs), outbox)

    def head(self, execution_id: str) -> Head | None:
        item = self._session.dynamodb.get_item(
            TableName=self._table,
            Key={"pk": {"S": _pk(execution_id)}, "sk": {"S": _HEADER}},
            ProjectionExpression="version, #state",
            ExpressionAttributeNames={"#state": "state"},
            ConsistentRead=True,
            ReturnConsumedCapacity="TOTAL",
        ).get("Item")
        return Head(int(item["version"]["N"]), StateType(item["state"]["S"])) if item else None

    def logs(self, execution_id: str) -> list[LogEntry]:
        return [
            log_from_json(entry)
            for item in self._query(self._partition(_logs_pk(execution_id)))
            for entry in json.loads(self._text(item, "doc"))
        ]

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
        self, namespace: str | None = None, flow_id: str | None = None, state: str | None = None
    ) -> list[Execution]:
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
            items = list(self._query(query))
        else:
            # Without a flow there is no key to query by: scan the headers (fine for the local stack and
            # small deployments; a namespace index is the way to grow).
            filters.append("sk = :h")
            values[":h"] = {"S": _HEADER}
            for attribute, value in (("namespace", namespace), ("flowId", flow_id)):
                if value is not None:
                    filters.append(f"#{attribute} = :{attribute}")
                    names[f"#{attribute}"] = attribute
                    values[f":{attribute}"] = {"S": value}
            scan: ScanInputTypeDef = {
                "TableName": self._table,
                "FilterExpression": " AND ".join(filters),
                "ExpressionAttributeValues": values,
            }
            if names:
                scan["ExpressionAttributeNames"] = names
            items = sorted(self._scan(scan), key=lambda item: item["gsi1sk"]["S"], reverse=True)
        return [self._header_execution(item, []) for item in items]

    # Writing

    def _transact(self, ops: list[TransactWriteItemTypeDef], execution_id: str, expected: int) -> None:
        ddb = self._session.dynamodb
        try:
            ddb.transact_write_items(TransactItems=ops, ReturnConsumedCapacity="TOTAL")
        except ddb.exceptions.TransactionCanceledException as error:
            reasons = error.response.get("CancellationReasons") or [{}]
            if reasons[0].get("Code") in _RETRYABLE_REASONS:
                raise ConcurrentModificationError(
                    f"execution {execution_id}: version {expected} is no longer current"
                ) from error
            raise

    def _put_header(
        self, execution: Execution, expected: int, outbox: Sequence[OutboxEntry]
    ) -> TransactWriteItemTypeDef:
        item: Item = {
            "pk": {"S": _pk(execution.id)},
            "sk": {"S": _HEADER},
            "version": {"N": str(expected + 1)},
            "nextSeq": {"N": str(execution.next_seq)},
            "state": {"S": execution.state.current.value},
            "namespace": {"S": execution.namespace},
            "flowId": {"S": execution.flow_id},
            "gsi1pk": {"S": _gsi1pk(execution.namespace, execution.flow_id)},
            "gsi1sk": {"S": f"{serde.format_instant(execution.state.start_date)}#{execution.id}"},
        }
        item |= self._doc(execution.id, "doc", json.dumps(serde.header_to_json(execution, internal=True)))
        item |= self._doc(execution.id, "outbox", json.dumps([entry_to_json(m) for m in outbox]))
        condition, values = _expecting(expected)
        put: PutTypeDef = {"TableName": self._table, "Item": item, "ConditionExpression": condition}
        if values:
            put["ExpressionAttributeValues"] = values
        return {"Put": put}

    def _put_task_run(self, execution: Execution, run_id: str) -> TransactWriteItemTypeDef:
        run = execution.task_runs.get(run_id)
        text = json.dumps(serde.task_run_to_json(run, internal=True))
        item: Item = {"pk": {"S": _pk(execution.id)}, "sk": {"S": f"TR#{run_id}"}, "seq": {"N": str(run.seq)}}
        item |= self._doc(execution.id, "doc", text)
        return {"Put": {"TableName": self._table, "Item": item}}

    def _delete(self, pk: str, sk: str) -> TransactWriteItemTypeDef:
        key: Item = {"pk": {"S": pk}, "sk": {"S": sk}}
        return {"Delete": {"TableName": self._table, "Key": key}}

    def _log_write(
        self, execution_id: str, version: int, logs: Sequence[LogEntry]
    ) -> TransactWriteItemTypeDef:
        item: Item = {"pk": {"S": _logs_pk(execution_id)}, "sk": {"S": f"LOG#{version:010d}"}}
        item |= self._doc(execution_id, "doc", json.dumps([log_to_json(entry) for entry in logs]))
        return {"Put": {"TableName": self._table, "Item": item}}

    def _doc(self, execution_id: str, name: str, text: str) -> Item:
        # Compressed, a task run's JSON drops from ~1 KB to ~300 bytes: under the 1 KB that a
        # transactional write bills as 2 WCU instead of 4 (decision 0002).
        packed = zlib.compress(text.encode(), 6)
        if len(packed) <= SPILL_BYTES:
            return {name: {"B": packed}}
        return {f"{name}Ref": {"S": self._blobs.put_addressed(f"_internal/executions/{execution_id}", text)}}

    # Reading

    def _text(self, item: Item, name: str) -> str:
        if name in item:
            return zlib.decompress(item[name]["B"]).decode()
        return self._blobs.get(item[f"{name}Ref"]["S"]).decode()

    def _header_execution(self, item: Item, runs: list[TaskRun]) -> Execution:
        data = json.loads(self._text(item, "doc"))
        data["version"] = int(item["version"]["N"])
        data["nextSeq"] = int(item["nextSeq"]["N"])
        return serde.execution_from_json(data, task_runs=runs)

    def _partition(self, pk: str) -> QueryInputTypeDef:
        return {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}},
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


def _pk(execution_id: str) -> str:
    return f"EXEC#{execution_id}"


def _logs_pk(execution_id: str) -> str:
    return f"EXEC#{execution_id}#LOGS"


def _gsi1pk(namespace: str, flow_id: str) -> str:
    return f"FLOW#{namespace}#{flow_id}"


def _expecting(version: int) -> tuple[str, dict[str, AttributeValueTypeDef]]:
    """The header condition for a writer that read `version` (0: the execution must not exist)."""
    if version == 0:
        return "attribute_not_exists(pk)", {}
    return "version = :expected", {":expected": {"N": str(version)}}
