"""Trigger states in the state table.

What the API set (disabled) is an item of one partition, `pk=TRIGGERS, sk=<namespace>/<flow id>/<trigger
id>`, so that all of them are one Query. Where a schedule stands is one item per trigger,
`pk=SCHEDULE#<namespace>/<flow id>/<trigger id>, sk=STATE`, its JSON in `state` and a `version` every write
is conditional on.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from engine.ports import Backfill, ConcurrentModificationError, ScheduleState
from infra.aws.session import AwsSession

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, QueryInputTypeDef

_PARTITION = "TRIGGERS"


class DynamoTriggerStateStore:
    def __init__(self, session: AwsSession, table: str) -> None:
        self._session = session
        self._table = table

    def disabled(self) -> dict[tuple[str, str, str], bool]:
        ddb = self._session.dynamodb
        request: QueryInputTypeDef = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": _PARTITION}},
            "ConsistentRead": True,
            "ReturnConsumedCapacity": "TOTAL",
        }
        found: dict[tuple[str, str, str], bool] = {}
        while True:
            page = ddb.query(**request)
            for item in page.get("Items", []):
                found[_names(str(item["sk"]["S"]))] = bool(item["disabled"]["BOOL"])
            if "LastEvaluatedKey" not in page:
                return found
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def set_disabled(self, namespace: str, flow_id: str, trigger_id: str, disabled: bool) -> None:
        self._session.dynamodb.put_item(
            TableName=self._table,
            Item={**_key(namespace, flow_id, trigger_id), "disabled": {"BOOL": disabled}},
        )

    def forget(self, namespace: str, flow_id: str, trigger_id: str) -> bool:
        ddb = self._session.dynamodb
        found = False
        for key in (_key(namespace, flow_id, trigger_id), _schedule_key(namespace, flow_id, trigger_id)):
            deleted = ddb.delete_item(TableName=self._table, Key=key, ReturnValues="ALL_OLD")
            found = found or "Attributes" in deleted
        return found

    def schedule(self, namespace: str, flow_id: str, trigger_id: str) -> ScheduleState | None:
        item = self._session.dynamodb.get_item(
            TableName=self._table, Key=_schedule_key(namespace, flow_id, trigger_id), ConsistentRead=True
        ).get("Item")
        if item is None:
            return None
        return _decode(json.loads(str(item["state"]["S"])), int(item["version"]["N"]))

    def save_schedule(self, namespace: str, flow_id: str, trigger_id: str, state: ScheduleState) -> int:
        version = state.version + 1
        item: dict[str, AttributeValueTypeDef] = {
            **_schedule_key(namespace, flow_id, trigger_id),
            "state": {"S": json.dumps(_encode(state))},
            "version": {"N": str(version)},
        }
        ddb = self._session.dynamodb
        try:
            if state.version == 0:
                ddb.put_item(TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(pk)")
            else:
                ddb.put_item(
                    TableName=self._table,
                    Item=item,
                    ConditionExpression="version = :read",
                    ExpressionAttributeValues={":read": {"N": str(state.version)}},
                )
        except ddb.exceptions.ConditionalCheckFailedException:
            raise ConcurrentModificationError(f"schedule {namespace}.{flow_id}.{trigger_id}") from None
        return version


def _key(namespace: str, flow_id: str, trigger_id: str) -> dict[str, AttributeValueTypeDef]:
    # Ids and namespaces never hold a "/" (the flow model's patterns): it separates them.
    return {"pk": {"S": _PARTITION}, "sk": {"S": f"{namespace}/{flow_id}/{trigger_id}"}}


def _names(key: str) -> tuple[str, str, str]:
    namespace, flow_id, trigger_id = key.split("/", 2)
    return namespace, flow_id, trigger_id


def _schedule_key(namespace: str, flow_id: str, trigger_id: str) -> dict[str, AttributeValueTypeDef]:
    return {"pk": {"S": f"SCHEDULE#{namespace}/{flow_id}/{trigger_id}"}, "sk": {"S": "STATE"}}


def _date(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parsed(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _encode(state: ScheduleState) -> dict[str, Any]:
    backfill = state.backfill
    return {
        "next": _date(state.next),
        "date": _date(state.date),
        "executionId": state.execution_id,
        "started": _date(state.started),
        "backfill": None
        if backfill is None
        else {
            "id": backfill.id,
            "start": backfill.start.isoformat(),
            "end": _date(backfill.end),
            "current": backfill.current.isoformat(),
            "inputs": dict(backfill.inputs),
            "labels": [list(pair) for pair in backfill.labels],
            "paused": backfill.paused,
        },
    }


def _decode(data: dict[str, Any], version: int) -> ScheduleState:
    backfill = data.get("backfill")
    return ScheduleState(
        next=_parsed(data.get("next")),
        date=_parsed(data.get("date")),
        execution_id=data.get("executionId"),
        started=_parsed(data.get("started")),
        backfill=None
        if backfill is None
        else Backfill(
            id=str(backfill["id"]),
            start=datetime.fromisoformat(backfill["start"]),
            end=_parsed(backfill.get("end")),
            current=datetime.fromisoformat(backfill["current"]),
            inputs=backfill.get("inputs") or {},
            labels=tuple((str(k), str(v)) for k, v in backfill.get("labels") or ()),
            paused=bool(backfill.get("paused")),
        ),
        version=version,
    )
