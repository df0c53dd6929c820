"""Namespace KV pairs in DynamoDB: `pk=KV#<namespace>`, `sk=<key>`, one item per pair.

An expiring pair carries `expiresAt` (epoch seconds), the table's TTL attribute, so DynamoDB deletes it
some time after it expires, at no cost; until then the engine hides it by comparing with its clock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.model.serde import format_instant, parse_instant
from engine.resources import KVEntry
from infra.aws.session import AwsSession

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import (
        AttributeValueTypeDef,
        PutItemInputTypeDef,
        QueryInputTypeDef,
        ScanInputTypeDef,
    )

    Item = dict[str, AttributeValueTypeDef]


class DynamoKVStore:
    def __init__(self, session: AwsSession, table: str) -> None:
        self._session = session
        self._table = table

    def get(self, namespace: str, key: str) -> KVEntry | None:
        item = self._session.dynamodb.get_item(
            TableName=self._table,
            Key={"pk": {"S": _pk(namespace)}, "sk": {"S": key}},
            ConsistentRead=True,
            ReturnConsumedCapacity="TOTAL",
        ).get("Item")
        return None if item is None else _entry(item)

    def put(self, namespace: str, key: str, entry: KVEntry, *, overwrite: bool = True) -> bool:
        item: Item = {
            "pk": {"S": _pk(namespace)},
            "sk": {"S": key},
            "type": {"S": entry.type},
            "value": {"S": entry.json_value},
            "updated": {"S": format_instant(entry.updated)},
        }
        if entry.expiration_date is not None:
            item["expirationDate"] = {"S": format_instant(entry.expiration_date)}
            item["expiresAt"] = {"N": str(int(entry.expiration_date.timestamp()) + 1)}
        put: PutItemInputTypeDef = {"TableName": self._table, "Item": item, "ReturnConsumedCapacity": "TOTAL"}
        if not overwrite:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        ddb = self._session.dynamodb
        try:
            ddb.put_item(**put)
        except ddb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def delete(self, namespace: str, key: str) -> bool:
        old = self._session.dynamodb.delete_item(
            TableName=self._table,
            Key={"pk": {"S": _pk(namespace)}, "sk": {"S": key}},
            ReturnValues="ALL_OLD",
            ReturnConsumedCapacity="TOTAL",
        )
        return "Attributes" in old

    def namespaces(self) -> list[str]:
        # A scan of the keys alone: the table has no index of namespaces, and only the API's listing of
        # every key asks.
        scan: ScanInputTypeDef = {
            "TableName": self._table,
            "FilterExpression": "begins_with(pk, :kv)",
            "ExpressionAttributeValues": {":kv": {"S": _pk("")}},
            "ProjectionExpression": "pk",
            "ReturnConsumedCapacity": "TOTAL",
        }
        found: set[str] = set()
        while True:
            page = self._session.dynamodb.scan(**scan)
            found.update(item["pk"]["S"].removeprefix(_pk("")) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return sorted(found)
            scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def list(self, namespace: str) -> list[tuple[str, KVEntry]]:
        query: QueryInputTypeDef = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": _pk(namespace)}},
            "ConsistentRead": True,
            "ReturnConsumedCapacity": "TOTAL",
        }
        entries: list[tuple[str, KVEntry]] = []
        while True:
            page = self._session.dynamodb.query(**query)
            entries += [(item["sk"]["S"], _entry(item)) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return entries
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _pk(namespace: str) -> str:
    return f"KV#{namespace}"


def _entry(item: Item) -> KVEntry:
    expiration = item.get("expirationDate")
    return KVEntry(
        type=item["type"]["S"],
        json_value=item["value"]["S"],
        updated=parse_instant(item["updated"]["S"]),
        expiration_date=parse_instant(expiration["S"]) if expiration else None,
    )
