"""moto's DynamoDB made faster where Kite leans on it (local only; behaviour unchanged).

Queries read one partition, not the whole table (`install_partition_queries`). Transactions take a
cheaper rollback snapshot: moto 5.2 deep-copies every table a transaction touches, once per item of the
transaction, so that it can roll back: a commit of 95 items copied the whole table 95 times (3.6 s for
250 task runs), and every commit grew slower as the table filled. Here the snapshot is taken once per
table and shares what the transaction cannot change: the partitions it does not touch are the same dicts,
and in those it touches, Put and Delete replace or drop item objects, only Update changes one in place,
so only the items under an Update are copied. A transaction costs what it touches plus one pointer per
partition (a ForEachItem of 1,000 batches went from 300 s to a few). The rollback itself is moto's own.
"""

from __future__ import annotations

import copy
import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

_MARK = "_kite_snapshot"


class _SnapshotCopy:
    """Stands in for the `copy` module inside `moto.dynamodb.models` for one transaction."""

    copy = staticmethod(copy.copy)

    def __init__(
        self, touched: dict[str, list[dict[str, Any]]], updated: dict[str, list[dict[str, Any]]]
    ) -> None:
        self._touched = touched
        self._updated = updated
        self._snapshots: dict[int, Table] = {}

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        if not isinstance(value, Table):
            return copy.deepcopy(value, memo)
        # moto takes all its snapshots before the first write, so one per table is the same state.
        if id(value) not in self._snapshots:
            self._snapshots[id(value)] = _snapshot(
                value, self._touched.get(value.name, []), self._updated.get(value.name, [])
            )
        return self._snapshots[id(value)]


def _snapshot(table: Table, touched_keys: list[dict[str, Any]], updated_keys: list[dict[str, Any]]) -> Table:
    clone = copy.copy(table)
    # `items` maps hash key -> item, or hash key -> {range key -> item}: the partitions the transaction
    # touches are copied (it may add or drop items in them), the others shared.
    items: Any = defaultdict(dict, table.items)
    if table.has_range_key:
        for key in touched_keys:
            hash_value = DynamoType(key[table.hash_key_attr])
            if hash_value in table.items:
                items[hash_value] = dict(table.items[hash_value])
    for key in updated_keys:
        hash_value = DynamoType(key[table.hash_key_attr])
        range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        item = table.get_item(hash_value, range_value)
        if item is None:
            continue
        if range_value is None:
            items[hash_value] = copy.deepcopy(item)
        else:
            items[hash_value][range_value] = copy.deepcopy(item)
    clone.items = items
    return clone


def install() -> None:
    """Patch moto's backend (idempotent; behaviour unchanged, only the copying)."""
    install_partition_queries()
    original: Callable[..., None] = DynamoDBBackend.transact_write_items
    if getattr(original, _MARK, False):
        return

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        touched: dict[str, list[dict[str, Any]]] = {}
        updated: dict[str, list[dict[str, Any]]] = {}
        for item in transact_items:
            for op_type, op in item.items():
                touched.setdefault(op["TableName"], []).append(op.get("Key") or op.get("Item") or {})
                if op_type == "Update":
                    updated.setdefault(op["TableName"], []).append(op["Key"])
        module: Any = dynamodb_models
        module.copy = _SnapshotCopy(touched, updated)
        try:
            original(self, transact_items)
        finally:
            module.copy = copy

    setattr(transact_write_items, _MARK, True)
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


class _Partition(threading.local):
    """The partition a table query reads, for `all_items` during that query (per thread)."""

    table: Table | None = None
    items: list[Any] | None = None


_partition = _Partition()


def install_partition_queries() -> None:
    """moto's table Query reads every item of the table to find one partition's, comparing keys as
    DynamoType: a query cost grew with the table (0.1 s per step on a ForEach of 1,000). Here a query on
    the table's own key reads its partition only; indexes and results are moto's own."""
    original_query: Callable[..., Any] = Table.query
    if getattr(original_query, _MARK, False):
        return
    original_all_items: Callable[[Table], list[Any]] = Table.all_items

    def all_items(self: Table) -> list[Any]:
        if _partition.table is self and _partition.items is not None:
            return _partition.items
        return original_all_items(self)

    def query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name or hash_key is None or not self.range_key_attr:
            return original_query(self, hash_key, *args, **kwargs)
        _partition.table, _partition.items = self, list(self.items.get(hash_key, {}).values())
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            _partition.table = _partition.items = None

    setattr(query, _MARK, True)
    Table.all_items = all_items  # type: ignore[method-assign]
    Table.query = query  # type: ignore[method-assign]
