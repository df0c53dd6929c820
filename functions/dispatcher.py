"""Lambda entry point of the step dispatcher (dispatch FIFO queue and timer queue), and of schedule ticks."""

from __future__ import annotations

from functions import startup

with startup.imports():
    from typing import Any

    from aws_lambda_powertools import Logger

    from engine.executor.events import Event
    from engine.services import messages
    from engine.services.dispatcher import Delivery
    from functions import app
    from functions.logs import log_handler
    from functions.sqs import Record, batch_response, receive_count

logger = Logger(service="kite-dispatcher", logger_handler=log_handler())


def delivery_of(records: list[Record]) -> Delivery:
    """What the step needs to know of its messages: which, whether any came back, from which queue."""
    return Delivery(
        message_ids=frozenset(r["messageId"] for r in records),
        redelivered=any(receive_count(r) > 1 for r in records),
        ordered=all(str(r.get("eventSourceARN", "")).endswith(".fifo") for r in records),
    )


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    current = app.current()
    groups: dict[str, list[tuple[Record, Event]]] = {}
    failed: list[Record] = []
    for record in event.get("Records", []):
        try:
            body = current.bus.decode_body(record["body"])
            tick = messages.decode_tick(body)
            if tick is not None:
                _tick(current, tick, record, failed)
                continue
            execution_id, decoded = messages.decode_event(body)
        except Exception:
            logger.exception("undecodable message", extra={"message_id": record.get("messageId")})
            failed.append(record)
            continue
        groups.setdefault(execution_id, []).append((record, decoded))
    for execution_id, items in groups.items():
        records = [record for record, _ in items]
        with logger.append_context_keys(execution_id=execution_id):
            try:
                report = current.services.dispatcher.handle(
                    execution_id, [decoded for _, decoded in items], delivery_of(records)
                )
            except Exception:
                # The whole group is retried, which keeps its FIFO order.
                logger.exception("step failed")
                failed.extend(records)
                continue
            logger.debug(
                "step", extra={"version": report.version, "sent": report.sent, "conflicts": report.conflicts}
            )
    return batch_response(failed)


def _tick(current: app.App, tick: messages.Tick, record: Record, failed: list[Record]) -> None:
    """A schedule woken (by EventBridge Scheduler, a flow saved, an execution of it ended)."""
    with logger.append_context_keys(trigger=tick.key, mode=tick.mode.value):
        try:
            report = current.services.schedules.tick(tick)
        except Exception:
            logger.exception("schedule tick failed")
            failed.append(record)
            return
        for date, reason in report.skipped:
            logger.info("schedule date skipped", extra={"date": date.isoformat(), "reason": reason})
        if report.started:
            logger.info("schedule started an execution", extra={"execution_id": report.started})
