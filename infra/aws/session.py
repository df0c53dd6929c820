"""One botocore Session per process (or embedded stack), lazily created clients, and request accounting.

Creating a Session or a client loads botocore's service models, which costs tens of milliseconds, so both
are made once and reused; a Lambda only pays for the clients its handler touches. Clients come from
botocore itself: boto3 adds resources and S3's transfer manager, which Kite never uses, and importing it
costs ~20 ms more of every cold start (s3transfer, multiprocessing, concurrent.futures).
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import botocore.session
from msgspec import Struct

from infra.aws.model_loader import new_session

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_scheduler import EventBridgeSchedulerClient
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sqs import SQSClient

_READ_OPERATIONS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})
_ESTIMATE = "kite_estimated_write_units"


class StatsSnapshot(Struct, frozen=True):
    calls: dict[tuple[str, str], int]
    read_units: float
    write_units: float
    # The largest DynamoDB item put and SQS message body sent, in bytes: how near the limits (400 KB and
    # 256 KB) a run goes.
    largest_item: int = 0
    largest_message: int = 0

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())


class RequestStats:
    """Counts API calls per (service, operation) and the DynamoDB capacity units the responses report."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[tuple[str, str]] = Counter()
        self._read_units = 0.0
        self._write_units = 0.0
        self._largest_item = self._largest_message = 0
        # Per thread: an observer's thread pauses its own calls, never the pipeline's (`kite run --logs`).
        self._observer = threading.local()

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-parameter-build.dynamodb.TransactWriteItems", self._estimate)
        client.meta.events.register("before-parameter-build.dynamodb.PutItem", self._estimate)
        client.meta.events.register("before-parameter-build.sqs.SendMessage", self._message)
        client.meta.events.register("before-parameter-build.sqs.SendMessageBatch", self._message)
        client.meta.events.register("before-call", self._before_call)
        client.meta.events.register("after-call", self._after_call)

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._read_units = self._write_units = 0.0
            self._largest_item = self._largest_message = 0

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Calls made inside are not counted: an observer's reads are not the pipeline's cost."""
        self._observer.depth = self._depth() + 1
        try:
            yield
        finally:
            self._observer.depth -= 1

    def _depth(self) -> int:
        depth: int = getattr(self._observer, "depth", 0)
        return depth

    def snapshot(self) -> StatsSnapshot:
        with self._lock:
            return StatsSnapshot(
                dict(self._calls),
                self._read_units,
                self._write_units,
                self._largest_item,
                self._largest_message,
            )

    def _estimate(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if "TransactItems" in params:
            context[_ESTIMATE] = _transaction_write_units(params)
            items = [op.get("Item") or {} for entry in params["TransactItems"] for op in entry.values()]
        else:
            context[_ESTIMATE] = _units(params["Item"], per_kb=1)
            items = [params["Item"]]
        largest = max((item_size(item) for item in items), default=0)
        with self._lock:
            self._largest_item = max(self._largest_item, largest)

    def _message(self, params: dict[str, Any], **_: Any) -> None:
        bodies = [entry["MessageBody"] for entry in params.get("Entries", ())] or [
            params.get("MessageBody", "")
        ]
        largest = max(len(str(body).encode()) for body in bodies)
        with self._lock:
            self._largest_message = max(self._largest_message, largest)

    def _before_call(self, event_name: str, **_: Any) -> None:
        if self._depth():
            return
        service, operation = event_name.split(".", 2)[1:]
        with self._lock:
            self._calls[(service, operation)] += 1

    def _after_call(self, event_name: str, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if self._depth():
            return
        operation = event_name.rsplit(".", 1)[-1]
        if operation in _READ_OPERATIONS and event_name.startswith("after-call.dynamodb."):
            # moto reports a fixed figure for reads; DynamoDB bills a strongly consistent read 1 unit
            # per 4 KB of what it returns (a GetItem or a Query page is rounded up as a whole).
            with self._lock:
                self._read_units += _read_units(parsed)
            return
        if _ESTIMATE in context:
            # moto reports no capacity for a transaction and 1 unit for any put, whatever its size. Estimate
            # them as DynamoDB bills: 1 unit per KB of a put, 2 per KB of each item of a transaction; a write
            # whose condition fails is billed too.
            with self._lock:
                self._write_units += context[_ESTIMATE]
            return
        consumed = parsed.get("ConsumedCapacity")
        if not consumed:
            return
        operation = event_name.rsplit(".", 1)[-1]
        is_read = operation in _READ_OPERATIONS
        reads = writes = 0.0
        for entry in consumed if isinstance(consumed, list) else [consumed]:
            total = float(entry.get("CapacityUnits", 0.0))
            reads += float(entry.get("ReadCapacityUnits", total if is_read else 0.0))
            writes += float(entry.get("WriteCapacityUnits", 0.0 if is_read else total))
        with self._lock:
            self._read_units += reads
            self._write_units += writes


def _read_units(parsed: dict[str, Any]) -> float:
    items = parsed.get("Items")
    if items is None:
        item = parsed.get("Item")
        items = [item] if item else []
    size = sum(item_size(item) for item in items)
    return float(max(1, math.ceil(size / 4096)))


def _transaction_write_units(params: dict[str, Any]) -> float:
    return sum(
        _units(op.get("Item") or op.get("Key") or {}, per_kb=2)
        for entry in params.get("TransactItems", [])
        for op_type, op in entry.items()
        if op_type != "ConditionCheck"
    )


def _units(item: dict[str, Any], *, per_kb: int) -> float:
    return float(per_kb * max(1, math.ceil(item_size(item) / 1024)))


def item_size(item: dict[str, Any]) -> int:
    """DynamoDB's billed size of an item: attribute names plus values (binary counted raw)."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    (kind, data), *_ = value.items()
    if kind == "S":
        return len(str(data).encode())
    if kind == "B":
        return len(data)
    if kind == "N":
        return len(str(data)) // 2 + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + item_size(data)
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in data)
    return sum(len(str(v)) for v in data)  # string/number/binary sets


class AwsSession:
    """A botocore Session, its clients (created on first use, then cached) and the stats they feed."""

    def __init__(
        self, session: botocore.session.Session | None = None, stats: RequestStats | None = None
    ) -> None:
        self.session = session or new_session()
        self.stats = stats or RequestStats()
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def region(self) -> str:
        region: str | None = self.session.get_config_variable("region")
        if region is None:
            raise RuntimeError("no AWS region configured (set AWS_REGION or AWS_DEFAULT_REGION)")
        return region

    @property
    def dynamodb(self) -> DynamoDBClient:
        client: DynamoDBClient = self._client("dynamodb")
        return client

    @property
    def sqs(self) -> SQSClient:
        client: SQSClient = self._client("sqs")
        return client

    @property
    def s3(self) -> S3Client:
        client: S3Client = self._client("s3")
        return client

    @property
    def scheduler(self) -> EventBridgeSchedulerClient:
        client: EventBridgeSchedulerClient = self._client("scheduler")
        return client

    @property
    def secretsmanager(self) -> SecretsManagerClient:
        client: SecretsManagerClient = self._client("secretsmanager")
        return client

    def _client(self, service: str) -> Any:
        client = self._clients.get(service)
        if client is None:
            # botocore's Session is not thread-safe while it creates clients.
            with self._lock:
                client = self._clients.get(service)
                if client is None:
                    client = self.session.create_client(service)
                    self.stats.attach(client)
                    self._clients[service] = client
        return client


_process_session: AwsSession | None = None


def process_session() -> AwsSession:
    """The process-wide session a Lambda's composition root shares between invocations."""
    global _process_session  # noqa: PLW0603
    if _process_session is None:
        _process_session = AwsSession()
    return _process_session
