"""Which outbox entries a commit carries (decision 0012): those a delivery may still have to send again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.ports import Message, OutboxEntry, QueueName
from engine.services.dispatcher import PENDING_FOR, Delivery, still_pending

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def entry(
    origins: tuple[str, ...] = ("m1",), *, ordered: bool = False, age: timedelta = timedelta()
) -> OutboxEntry:
    message = Message(QueueName.WORKER, {"kind": "RunTask"}, dedup_id="run-x-1")
    return OutboxEntry(message, NOW - age, origins, ordered)


@pytest.mark.parametrize(
    ("case", "written", "delivery", "carried"),
    [
        ("the API's own entry", entry(()), Delivery(frozenset({"m2"})), False),
        ("another delivery's entry", entry(), Delivery(frozenset({"m2"})), True),
        ("this delivery's entry: it sends it again", entry(), Delivery(frozenset({"m1"})), False),
        (
            "an ordered entry, on a first ordered delivery",
            entry(ordered=True),
            Delivery(frozenset({"m2"}), ordered=True),
            False,
        ),
        (
            "an ordered entry, on an ordered redelivery",
            entry(ordered=True),
            Delivery(frozenset({"m2"}), redelivered=True, ordered=True),
            True,
        ),
        (
            "the message itself received",
            entry(),
            Delivery(frozenset({"m2"}), received=frozenset({"run-x-1"})),
            False,
        ),
        ("past PENDING_FOR", entry(age=PENDING_FOR), Delivery(frozenset({"m2"})), False),
        (
            "just within PENDING_FOR",
            entry(age=PENDING_FOR - timedelta(seconds=1)),
            Delivery(frozenset({"m2"})),
            True,
        ),
    ],
)
def test_still_pending(case: str, written: OutboxEntry, delivery: Delivery, carried: bool) -> None:
    assert (still_pending([written], delivery, NOW) == [written]) is carried, case
