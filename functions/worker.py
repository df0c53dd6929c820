"""Lambda entry point of the worker (worker queue): one task-run attempt per record."""

from __future__ import annotations

from functions import startup

with startup.imports():
    from typing import Any

    from aws_lambda_powertools import Logger

    from engine.ports import Message
    from engine.services.dispatcher import Delivery
    from functions import app
    from functions.logs import log_handler
    from functions.sqs import Record, each_record, receive_count

logger = Logger(service="kite-worker", logger_handler=log_handler())


def delivery_of(record: Record) -> Delivery:
    """A RunTask as its queue delivered it: what a step the worker makes wrote is sent again if the message
    comes back."""
    return Delivery(message_ids=frozenset({record["messageId"]}), redelivered=receive_count(record) > 1)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    current = app.current()
    worker = current.services.worker
    reports: list[Message] = []

    def handle(record: Record) -> None:
        body = current.bus.decode_body(record["body"])
        run = body.get("taskRun", {})
        with logger.append_context_keys(execution_id=body.get("executionId"), task_run_id=run.get("id")):
            worker.handle(body, delivery_of(record), reports)

    response = each_record(event.get("Records", []), handle, logger)
    # The batch's results in one request. If it fails, the invocation does: the RunTasks come back and
    # find their attempts claimed, which are then lost at the end of their lease.
    worker.send(reports)
    return response
