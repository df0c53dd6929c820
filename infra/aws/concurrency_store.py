"""Flow concurrency slots and queues in the state table (spec part 2 §4.4).

`pk=CONC#<flow>`: the item `sk=SLOTS` holds the string set `holders`, so a slot is taken with one
conditional update (`size(holders) < :limit`) and a repeated take or release changes nothing; each waiting
execution is an item `sk=Q#<queued at>#<execution id>`, read oldest first.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from engine.model.serde import format_instant, parse_instant
from infra.aws.session import AwsSession

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

    Key = dict[str, AttributeValueTypeDef]

SLOTS = "SLOTS"
QUEUE_PREFIX = "Q#"


class DynamoConcurrencyStore:
    def __init__(self, session: AwsSession, table: str) -> None:
        self._session = session
        self._table = table

    def acquire(self, flow: str, execution_id: str, limit: int) -> tuple[bool, int]:
        ddb = self._session.dynamodb
        try:
            updated = ddb.update_item(
                TableName=self._table,
                Key=_key(flow, SLOTS),
                UpdateExpression="ADD holders :me",
                ConditionExpression="attribute_not_exists(holders) OR size(holders) < :limit "
                "OR contains(holders, :id)",
                ExpressionAttributeValues={
                    ":me": {"SS": [execution_id]},
                    ":limit": {"N": str(limit)},
                    ":id": {"S": execution_id},
                },
                ReturnValues="ALL_NEW",
                ReturnConsumedCapacity="TOTAL",
            )
        except ddb.exceptions.ConditionalCheckFailedException:
            return False, len(self._holders(flow))
        return True, len(updated["Attributes"]["holders"].get("SS", []))

    def _holders(self, flow: str) -> list[str]:
        item = self._session.dynamodb.get_item(
            TableName=self._table, Key=_key(flow, SLOTS), ConsistentRead=True, ReturnConsumedCapacity="TOTAL"
        ).get("Item")
        return list(item["holders"].get("SS", [])) if item and "holders" in item else []

    def release(self, flow: str, execution_id: str) -> None:
        self._session.dynamodb.update_item(
            TableName=self._table,
            Key=_key(flow, SLOTS),
            UpdateExpression="DELETE holders :me",
            ExpressionAttributeValues={":me": {"SS": [execution_id]}},
            ReturnConsumedCapacity="TOTAL",
        )

    def enqueue(self, flow: str, execution_id: str, queued_at: datetime) -> None:
        self._session.dynamodb.put_item(
            TableName=self._table,
            Item={**_key(flow, _queue_sk(execution_id, queued_at)), "executionId": {"S": execution_id}},
            ReturnConsumedCapacity="TOTAL",
        )

    def dequeue(self, flow: str, execution_id: str, queued_at: datetime) -> bool:
        old = self._session.dynamodb.delete_item(
            TableName=self._table,
            Key=_key(flow, _queue_sk(execution_id, queued_at)),
            ReturnValues="ALL_OLD",
            ReturnConsumedCapacity="TOTAL",
        )
        return "Attributes" in old

    def queued(self, flow: str, limit: int) -> list[tuple[datetime, str]]:
        page = self._session.dynamodb.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :q)",
            ExpressionAttributeValues={":pk": {"S": _pk(flow)}, ":q": {"S": QUEUE_PREFIX}},
            ConsistentRead=True,
            Limit=limit,
            ReturnConsumedCapacity="TOTAL",
        )
        result = []
        for item in page.get("Items", []):
            _, at, execution_id = item["sk"]["S"].split("#", 2)
            result.append((parse_instant(at), execution_id))
        return result


def _pk(flow: str) -> str:
    return f"CONC#{flow}"


def _key(flow: str, sk: str) -> Key:
    return {"pk": {"S": _pk(flow)}, "sk": {"S": sk}}


def _queue_sk(execution_id: str, queued_at: datetime) -> str:
    # ISO instants in UTC sort as text in time order, which gives FIFO.
    return f"{QUEUE_PREFIX}{format_instant(queued_at)}#{execution_id}"
