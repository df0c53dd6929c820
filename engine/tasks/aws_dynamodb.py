"""io.kestra.plugin.aws.dynamodb.PutItem, GetItem and Query: items as plain maps, DynamoDB's typed values
written and read here."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field

from engine.expressions.ion import ion_text
from engine.task_api import RunContext, TaskFailedError, task_type
from engine.tasks.aws_connection import AwsTask

_ROW_LIMIT = 400 * 1024  # a DynamoDB item is at most 400 KB


def to_dynamo(value: Any) -> dict[str, Any]:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float | Decimal):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bytes):
        return {"B": value}
    if isinstance(value, Mapping):
        return {"M": {str(k): to_dynamo(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [to_dynamo(v) for v in value]}
    raise TaskFailedError(f"Cannot write {type(value).__name__} to DynamoDB")


def from_dynamo(value: Mapping[str, Any]) -> Any:
    (kind, data), *_ = value.items()
    if kind == "NULL":
        return None
    if kind == "N":
        number = Decimal(str(data))
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "M":
        return {k: from_dynamo(v) for k, v in data.items()}
    if kind == "L":
        return [from_dynamo(v) for v in data]
    if kind in ("SS", "BS"):
        return list(data)
    if kind == "NS":
        return [from_dynamo({"N": n}) for n in data]
    return data


def _item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): to_dynamo(v) for k, v in item.items()}


@task_type("io.kestra.plugin.aws.dynamodb.PutItem")
class PutItem(AwsTask):
    table_name: str = Field(alias="tableName")
    item: dict[str, Any] | None = None
    item_string: str | None = Field(None, alias="itemString")

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        if self.item is not None:
            item = ctx.render_value(self.item, "item")
        elif self.item_string is not None:
            item = json.loads(ctx.render(self.item_string, "itemString"))
        else:
            raise TaskFailedError("item or itemString is required")
        self.call(
            ctx,
            "dynamodb",
            "put_item",
            {"TableName": ctx.render(self.table_name, "tableName"), "Item": _item(item)},
        )
        return None


@task_type("io.kestra.plugin.aws.dynamodb.GetItem")
class GetItem(AwsTask):
    table_name: str = Field(alias="tableName")
    key: dict[str, Any]

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        params = {
            "TableName": ctx.render(self.table_name, "tableName"),
            "Key": _item(ctx.render_value(self.key, "key")),
        }
        found = self.call(ctx, "dynamodb", "get_item", params).get("Item")
        return {"row": {k: from_dynamo(v) for k, v in found.items()} if found else None}


@task_type("io.kestra.plugin.aws.dynamodb.Query")
class Query(AwsTask):
    table_name: str = Field(alias="tableName")
    key_condition_expression: str = Field(alias="keyConditionExpression")
    expression_attribute_values: dict[str, Any] = Field(alias="expressionAttributeValues")
    filter_expression: str | None = Field(None, alias="filterExpression")
    limit: int | None = None
    fetch_type: Literal["FETCH", "FETCH_ONE", "STORE", "NONE"] = Field("FETCH", alias="fetchType")

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        values = ctx.render_value(self.expression_attribute_values, "expressionAttributeValues")
        params = {
            "TableName": ctx.render(self.table_name, "tableName"),
            "KeyConditionExpression": ctx.render(self.key_condition_expression, "keyConditionExpression"),
            "ExpressionAttributeValues": {str(k): to_dynamo(v) for k, v in values.items()},
            "FilterExpression": ctx.render(self.filter_expression, "filterExpression")
            if self.filter_expression
            else None,
            "Limit": self.limit,
        }
        rows = [
            {k: from_dynamo(v) for k, v in item.items()}
            for item in self.call(ctx, "dynamodb", "query", params).get("Items") or ()
        ]
        if self.fetch_type == "FETCH_ONE":
            return {"row": rows[0] if rows else None, "size": len(rows)}
        if self.fetch_type == "STORE":
            data = "".join(ion_text(row, _ROW_LIMIT) + "\n" for row in rows).encode()
            return {"uri": ctx.put_file("query.ion", data), "size": len(rows)}
        if self.fetch_type == "NONE":
            return {"size": len(rows)}
        return {"rows": rows, "size": len(rows)}
