"""Lambda entry point of the dead-letter consumer: a message that failed on every delivery ends its
execution FAILED with the reason in its logs, so that nothing waits forever on it (decision 0012)."""

from __future__ import annotations

from functions import startup

with startup.imports():
    from typing import Any

    from aws_lambda_powertools import Logger

    from functions import app
    from functions.logs import log_handler
    from functions.sqs import Record, each_record

logger = Logger(service="kite-dead-letters", logger_handler=log_handler())


def reason_for(body: dict[str, Any], record: Record) -> str:
    queue = str(record.get("eventSourceARN", "")).rsplit(":", 1)[-1]
    kind = body.get("kind", "unknown")
    return (
        f"A {kind} message of this execution failed on every delivery and reached the dead-letter queue "
        f"{queue}: the execution is failed so that it does not wait on it forever"
    )


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    current = app.current()

    def handle(record: Record) -> None:
        body = current.bus.decode_body(record["body"])
        execution_id = body.get("executionId")
        if not isinstance(execution_id, str):
            logger.error("dead letter of no execution", extra={"message_id": record.get("messageId")})
            return
        with logger.append_context_keys(execution_id=execution_id):
            logger.error("dead letter", extra={"kind": body.get("kind")})
            try:
                current.services.dispatcher.poison(execution_id, reason_for(body, record))
            except LookupError:
                logger.error("dead letter of an execution that does not exist")

    return each_record(event.get("Records", []), handle, logger)
