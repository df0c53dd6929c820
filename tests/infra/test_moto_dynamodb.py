"""The faster transaction snapshot keeps moto's all-or-nothing behaviour."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from infra.embedded.stack import EmbeddedStack


@pytest.fixture
def stack() -> Iterator[EmbeddedStack]:
    with EmbeddedStack() as stack:
        yield stack


def test_a_cancelled_transaction_leaves_every_item_as_it_was(stack: EmbeddedStack) -> None:
    ddb, table = stack.session.dynamodb, stack.settings.flows_table
    for sk in ("a", "b"):
        ddb.put_item(TableName=table, Item={"pk": {"S": "p"}, "sk": {"S": sk}, "n": {"N": "1"}})

    with pytest.raises(ClientError, match="TransactionCanceled"):
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"pk": {"S": "p"}, "sk": {"S": "a"}},
                        "UpdateExpression": "SET n = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
                {"Delete": {"TableName": table, "Key": {"pk": {"S": "p"}, "sk": {"S": "b"}}}},
                {"Put": {"TableName": table, "Item": {"pk": {"S": "p"}, "sk": {"S": "c"}}}},
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": {"pk": {"S": "p"}, "sk": {"S": "absent"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )

    items = ddb.query(
        TableName=table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "p"}},
    )["Items"]
    assert [(i["sk"]["S"], i["n"]["N"]) for i in items] == [("a", "1"), ("b", "1")]


def test_a_committed_transaction_applies_every_item(stack: EmbeddedStack) -> None:
    ddb, table = stack.session.dynamodb, stack.settings.flows_table
    ddb.put_item(TableName=table, Item={"pk": {"S": "p"}, "sk": {"S": "a"}, "n": {"N": "1"}})

    ddb.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": table,
                    "Key": {"pk": {"S": "p"}, "sk": {"S": "a"}},
                    "UpdateExpression": "SET n = :two",
                    "ExpressionAttributeValues": {":two": {"N": "2"}},
                }
            },
            {"Put": {"TableName": table, "Item": {"pk": {"S": "p"}, "sk": {"S": "b"}, "n": {"N": "3"}}}},
        ]
    )

    items = ddb.query(
        TableName=table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "p"}},
    )["Items"]
    assert [(i["sk"]["S"], i["n"]["N"]) for i in items] == [("a", "2"), ("b", "3")]
