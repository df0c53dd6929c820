"""Lambda's SQS event: decode the records, report the ones that failed (partial batch response)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from aws_lambda_powertools import Logger

Record = dict[str, Any]


def receive_count(record: Record) -> int:
    return int(record.get("attributes", {}).get("ApproximateReceiveCount", "1"))


def batch_response(failed: Iterable[Record]) -> dict[str, Any]:
    return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in failed]}


def each_record(records: list[Record], handle: Callable[[Record], None], logger: Logger) -> dict[str, Any]:
    """Handle records one by one; a failure is logged and reported, the others still count."""
    failed = []
    for record in records:
        try:
            handle(record)
        except Exception:
            logger.exception("record failed", extra={"message_id": record.get("messageId")})
            failed.append(record)
    return batch_response(failed)
