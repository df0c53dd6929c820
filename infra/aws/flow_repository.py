"""Flow revisions in DynamoDB: `pk=FLOW#<namespace>#<id>`, one `sk=REV#<n>` item per revision and an
`sk=LATEST` copy of the newest one, so that reading a flow is one GetItem. `pk=FLOWS, sk=GENERATION`
counts every save and delete, in the same transaction: one read tells whether the flows changed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.ports import ConcurrentModificationError, FlowRecord
from engine.resources import NotFoundError
from infra.aws.session import AwsSession

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import (
        AttributeValueTypeDef,
        PutTypeDef,
        ScanInputTypeDef,
        UpdateTypeDef,
    )

    Item = dict[str, AttributeValueTypeDef]

_LATEST = "LATEST"
_GENERATION: Item = {"pk": {"S": "FLOWS"}, "sk": {"S": "GENERATION"}}
# A save that loses a race re-reads and tries again; more losses than this mean a hot loop somewhere.
_ATTEMPTS = 5


class DynamoFlowRepository:
    def __init__(self, session: AwsSession, table: str) -> None:
        self._session = session
        self._table = table

    def save(self, namespace: str, flow_id: str, source: str, document: bytes | None = None) -> FlowRecord:
        for _ in range(_ATTEMPTS):
            latest = self._latest(namespace, flow_id)
            if latest is not None and not latest.deleted and latest.source == source:
                return latest
            revision = latest.revision + 1 if latest else 1
            record = FlowRecord(namespace, flow_id, revision, source, document=document)
            if self._append(record):
                return record
        raise ConcurrentModificationError(f"flow {namespace}.{flow_id}: too many concurrent saves")

    def get(self, namespace: str, flow_id: str, revision: int | None = None) -> FlowRecord | None:
        if revision is None:
            latest = self._latest(namespace, flow_id)
            return None if latest is None or latest.deleted else latest
        return self._read(namespace, flow_id, f"REV#{revision:010d}")

    def delete(self, namespace: str, flow_id: str) -> None:
        for _ in range(_ATTEMPTS):
            latest = self._latest(namespace, flow_id)
            if latest is None or latest.deleted:
                raise NotFoundError(f"flow {namespace}.{flow_id}")
            if self._append(FlowRecord(namespace, flow_id, latest.revision + 1, latest.source, deleted=True)):
                return
        raise ConcurrentModificationError(f"flow {namespace}.{flow_id}: too many concurrent saves")

    def list(self, namespace: str | None = None) -> list[FlowRecord]:
        values: Item = {":latest": {"S": _LATEST}, ":false": {"BOOL": False}}
        condition = "sk = :latest AND deleted = :false"
        if namespace is not None:
            condition += " AND #namespace = :namespace"
            values[":namespace"] = {"S": namespace}
        scan: ScanInputTypeDef = {
            "TableName": self._table,
            "FilterExpression": condition,
            "ExpressionAttributeValues": values,
            "ReturnConsumedCapacity": "TOTAL",
        }
        if namespace is not None:
            scan["ExpressionAttributeNames"] = {"#namespace": "namespace"}
        ddb = self._session.dynamodb
        records = []
        while True:
            page = ddb.scan(**scan)
            records += [_record(item) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                break
            scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return sorted(records, key=lambda r: (r.namespace, r.id))

    def generation(self) -> int:
        item = self._session.dynamodb.get_item(
            TableName=self._table, Key=_GENERATION, ConsistentRead=True, ReturnConsumedCapacity="TOTAL"
        ).get("Item")
        return int(str(item["generation"]["N"])) if item else 0

    def _latest(self, namespace: str, flow_id: str) -> FlowRecord | None:
        return self._read(namespace, flow_id, _LATEST)

    def _read(self, namespace: str, flow_id: str, sk: str) -> FlowRecord | None:
        item = self._session.dynamodb.get_item(
            TableName=self._table,
            Key={"pk": {"S": _pk(namespace, flow_id)}, "sk": {"S": sk}},
            ConsistentRead=True,
            ReturnConsumedCapacity="TOTAL",
        ).get("Item")
        return _record(item) if item is not None else None

    def _append(self, record: FlowRecord) -> bool:
        """Write revision n and move LATEST to it, unless another writer got to revision n first."""
        item: Item = {
            "pk": {"S": _pk(record.namespace, record.id)},
            "namespace": {"S": record.namespace},
            "flowId": {"S": record.id},
            "revision": {"N": str(record.revision)},
            "source": {"S": record.source},
            "deleted": {"BOOL": record.deleted},
        }
        if record.document is not None:
            item["document"] = {"B": record.document}
        latest: PutTypeDef = {"TableName": self._table, "Item": item | {"sk": {"S": _LATEST}}}
        if record.revision == 1:
            latest["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            latest["ConditionExpression"] = "revision = :previous"
            latest["ExpressionAttributeValues"] = {":previous": {"N": str(record.revision - 1)}}
        revision: PutTypeDef = {
            "TableName": self._table,
            "Item": item | {"sk": {"S": f"REV#{record.revision:010d}"}},
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        generation: UpdateTypeDef = {
            "TableName": self._table,
            "Key": _GENERATION,
            "UpdateExpression": "ADD generation :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
        ddb = self._session.dynamodb
        try:
            ddb.transact_write_items(
                TransactItems=[{"Put": latest}, {"Put": revision}, {"Update": generation}],
                ReturnConsumedCapacity="TOTAL",
            )
        except ddb.exceptions.TransactionCanceledException:
            return False
        return True


def _pk(namespace: str, flow_id: str) -> str:
    return f"FLOW#{namespace}#{flow_id}"


def _record(item: Item) -> FlowRecord:
    return FlowRecord(
        namespace=item["namespace"]["S"],
        id=item["flowId"]["S"],
        revision=int(item["revision"]["N"]),
        source=item["source"]["S"],
        deleted=item["deleted"]["BOOL"],
        document=item["document"]["B"] if "document" in item else None,
    )
