"""MessageBus contract: what is sent arrives on its queue, timers not before `deliver_at`."""

from __future__ import annotations

from datetime import timedelta

from contract_support import Harness

from engine.ports import Message, QueueName


def test_dispatch_messages_arrive_in_order_per_group(harness: Harness) -> None:
    harness.bus.send(
        [Message(QueueName.DISPATCH, {"n": n}, f"d{n}", group_id="exec1") for n in range(3)]
        + [Message(QueueName.DISPATCH, {"other": True}, "d-other", group_id="exec2")]
    )

    received = harness.receive(QueueName.DISPATCH)

    assert [b for b in received if "n" in b] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert {"other": True} in received
    assert harness.receive(QueueName.DISPATCH) == []


def test_worker_messages_in_batches_larger_than_ten(harness: Harness) -> None:
    harness.bus.send([Message(QueueName.WORKER, {"n": n}, f"w{n}") for n in range(25)])

    received = harness.receive(QueueName.WORKER)

    assert sorted(b["n"] for b in received) == list(range(25))


def test_timer_without_deliver_at_is_due_at_once(harness: Harness) -> None:
    harness.bus.send([Message(QueueName.TIMER, {"t": 0}, "t0")])

    assert harness.receive(QueueName.TIMER) == [{"t": 0}]


def test_timer_within_fifteen_minutes_waits_for_deliver_at(harness: Harness) -> None:
    harness.bus.send(
        [Message(QueueName.TIMER, {"t": 1}, "t1", deliver_at=harness.now() + timedelta(seconds=900))]
    )

    assert harness.receive(QueueName.TIMER) == []
    harness.advance(timedelta(seconds=899))
    assert harness.receive(QueueName.TIMER) == []
    harness.advance(timedelta(seconds=1))
    assert harness.receive(QueueName.TIMER) == [{"t": 1}]


def test_timer_hours_ahead_waits_for_deliver_at(harness: Harness) -> None:
    deliver_at = harness.now() + timedelta(hours=2)
    harness.bus.send([Message(QueueName.TIMER, {"t": 2}, "exec1/run00001/timeout:1", deliver_at=deliver_at)])

    harness.advance(timedelta(hours=1, minutes=59))
    assert harness.receive(QueueName.TIMER) == []
    harness.advance(timedelta(minutes=1, seconds=1))
    assert harness.receive(QueueName.TIMER) == [{"t": 2}]
    assert harness.receive(QueueName.TIMER) == []


def test_large_bodies_arrive_whole(harness: Harness) -> None:
    big = {"blob": "b" * 300_000}
    harness.bus.send(
        [
            Message(QueueName.DISPATCH, big, "big-d", group_id="exec1"),
            Message(QueueName.WORKER, big, "big-w"),
            Message(
                QueueName.TIMER, {"blob": "t" * 20_000}, "big-t", deliver_at=harness.now() + timedelta(days=1)
            ),
        ]
    )

    assert harness.receive(QueueName.DISPATCH) == [big]
    assert harness.receive(QueueName.WORKER) == [big]
    harness.advance(timedelta(days=1, seconds=1))
    assert harness.receive(QueueName.TIMER) == [{"blob": "t" * 20_000}]
