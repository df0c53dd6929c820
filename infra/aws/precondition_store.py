"""Flow trigger precondition state in the state table.

`pk=PRECOND#<key>, sk=STATE`: one attribute `m:<name>` per named condition with the instant it last
matched (separate attributes, so that concurrent matches of different names never overwrite each other),
`fired` (the last upstream executions that completed the set), `version` (bumped by every write: a firing
is conditional on it) and `expiresAt` (the table's TTL).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from engine.model.serde import format_instant, parse_instant
from engine.ports import FIRERS_KEPT, PreconditionState
from infra.aws.session import AwsSession

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, UpdateItemInputTypeDef

_MATCH = "m:"


class DynamoPreconditionStore:
    def __init__(self, session: AwsSession, table: str) -> None:
        self._session = session
        self._table = table

    def record(self, key: str, names: Sequence[str], at: datetime, expires: datetime) -> PreconditionState:
        attribute_names = {f"#m{i}": _MATCH + name for i, name in enumerate(names)}
        values: dict[str, AttributeValueTypeDef] = {
            ":at": {"S": format_instant(at)},
            ":one": {"N": "1"},
            ":zero": {"N": "0"},
            ":expires": {"N": str(int(expires.timestamp()))},
        }
        sets = [f"{alias} = :at" for alias in attribute_names]
        sets += ["version = if_not_exists(version, :zero) + :one", "expiresAt = :expires"]
        request: UpdateItemInputTypeDef = {
            "TableName": self._table,
            "Key": _key(key),
            "UpdateExpression": "SET " + ", ".join(sets),
            "ExpressionAttributeValues": values,
            "ReturnValues": "ALL_NEW",
        }
        if attribute_names:
            request["ExpressionAttributeNames"] = attribute_names
        updated = self._session.dynamodb.update_item(**request)
        return _state(updated.get("Attributes", {}))

    def fire(self, key: str, version: int, upstream_id: str) -> bool:
        ddb = self._session.dynamodb
        current = ddb.get_item(TableName=self._table, Key=_key(key), ConsistentRead=True).get("Item")
        if current is None:
            return False
        state = _state(current)
        if state.version != version:
            return False
        matched = {f"#m{i}": _MATCH + name for i, name in enumerate(state.matches)}
        fired = [*state.fired, upstream_id][-FIRERS_KEPT:]
        expression = "SET fired = :fired, version = :next"
        if matched:
            expression += " REMOVE " + ", ".join(matched)
        request: UpdateItemInputTypeDef = {
            "TableName": self._table,
            "Key": _key(key),
            "UpdateExpression": expression,
            "ConditionExpression": "version = :version",
            "ExpressionAttributeValues": {
                ":fired": {"L": [{"S": f} for f in fired]},
                ":next": {"N": str(version + 1)},
                ":version": {"N": str(version)},
            },
        }
        if matched:
            request["ExpressionAttributeNames"] = matched
        try:
            ddb.update_item(**request)
        except ddb.exceptions.ConditionalCheckFailedException:
            return False
        return True


def _key(key: str) -> dict[str, AttributeValueTypeDef]:
    return {"pk": {"S": f"PRECOND#{key}"}, "sk": {"S": "STATE"}}


def _state(item: dict[str, AttributeValueTypeDef]) -> PreconditionState:
    matches = {
        name.removeprefix(_MATCH): parse_instant(str(value.get("S")))
        for name, value in item.items()
        if name.startswith(_MATCH)
    }
    fired = tuple(str(entry.get("S")) for entry in item.get("fired", {}).get("L", []))
    return PreconditionState(matches, fired, int(str(item.get("version", {}).get("N", "0"))))
