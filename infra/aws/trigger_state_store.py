"""Trigger states in the state table: every trigger set through the API is an item of one partition,
`pk=TRIGGERS, sk=<namespace>/<flow id>/<trigger id>`, so that all of them are one Query."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
        deleted = self._session.dynamodb.delete_item(
            TableName=self._table, Key=_key(namespace, flow_id, trigger_id), ReturnValues="ALL_OLD"
        )
        return "Attributes" in deleted


def _key(namespace: str, flow_id: str, trigger_id: str) -> dict[str, AttributeValueTypeDef]:
    # Ids and namespaces never hold a "/" (the flow model's patterns): it separates them.
    return {"pk": {"S": _PARTITION}, "sk": {"S": f"{namespace}/{flow_id}/{trigger_id}"}}


def _names(key: str) -> tuple[str, str, str]:
    namespace, flow_id, trigger_id = key.split("/", 2)
    return namespace, flow_id, trigger_id
