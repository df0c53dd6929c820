"""What the AWS adapters promise beyond the ports: item sizes, transaction splitting, message routing."""

from __future__ import annotations

import json
import random
import string
from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any

import pytest
from contract_support import START, make_execution, make_task_run

from engine.ports import Commit, FlowRecord, Message, QueueName
from infra.aws.execution_store import SNAPSHOT_EVERY, SPILL_BYTES
from infra.aws.message_bus import QUEUED_BODIES, SCHEDULED_BODIES
from infra.embedded.clock import VirtualClock
from infra.embedded.stack import EmbeddedStack


@pytest.fixture
def stack() -> Iterator[EmbeddedStack]:
    with VirtualClock(START, tick=False) as clock, EmbeddedStack(clock=clock) as stack:
        yield stack


def items(stack: EmbeddedStack) -> Sequence[Mapping[str, Any]]:
    return stack.session.dynamodb.scan(TableName=stack.settings.executions_table)["Items"]


def test_large_documents_live_in_s3_and_items_stay_small(stack: EmbeddedStack) -> None:
    # Random letters: documents are compressed, so only incompressible data is large enough to spill.
    noise = random.Random(7)
    execution = make_execution()
    execution.inputs["big"] = "".join(noise.choices(string.ascii_letters, k=150_000))
    execution.task_runs.put(
        make_task_run(execution, 0, outputs={"blob": "".join(noise.choices(string.ascii_letters, k=300_000))})
    )
    execution.next_seq = 1
    stack.execution_store().create(execution)

    stored = items(stack)
    assert {item["sk"]["S"] for item in stored} == {"H", "V#0000000001"}
    for item in stored:
        assert "doc" not in item
        assert sum(len(str(value)) for value in item.values()) < SPILL_BYTES
    keys = [o["Key"] for o in stack.session.s3.list_objects_v2(Bucket=stack.settings.bucket)["Contents"]]
    assert len(keys) == 2
    assert all(key.startswith("_internal/executions/exec1/") for key in keys)


def test_a_step_is_one_conditional_write_of_one_item(stack: EmbeddedStack) -> None:
    """A commit of 300 task runs is one PutItem (atomic), billed by the compressed entry's size; a step
    that changes the header also writes the listing header, in one transaction with the entry."""
    store = stack.execution_store()
    store.create(make_execution())
    execution = make_execution()
    execution.version = 1
    for seq in range(300):
        execution.task_runs.put(make_task_run(execution, seq))
    stack.stats.reset()

    changed = frozenset(r.id for r in execution.task_runs)
    assert store.commit(Commit(execution, changed, header_changed=False)) == 2
    snapshot = stack.stats.snapshot()
    assert snapshot.calls == {("dynamodb", "PutItem"): 1}
    # Similar task runs compress well: 300 of them fit a few KB.
    assert snapshot.write_units <= 8
    stack.stats.reset()

    execution.version = 2
    assert store.commit(Commit(execution, frozenset(), header_changed=True)) == 3
    assert stack.stats.snapshot().calls == {("dynamodb", "TransactWriteItems"): 1}


def test_a_large_create_is_one_write(stack: EmbeddedStack) -> None:
    store = stack.execution_store()
    stack.stats.reset()
    assert store.create(make_execution(runs=2_000)) == 1
    # Past SPILL_BYTES the entry's document goes to S3 first; the write that makes it visible is one.
    assert stack.stats.snapshot().calls == {("s3", "PutObject"): 1, ("dynamodb", "TransactWriteItems"): 1}
    stored = store.load("exec1")
    assert stored is not None
    assert [r.seq for r in stored.execution.task_runs] == list(range(2_000))


def test_stats_count_calls_and_reported_capacity(stack: EmbeddedStack) -> None:
    store = stack.execution_store()
    store.create(make_execution(runs=3))
    stack.stats.reset()

    store.load("exec1")
    flows = stack.flow_repository()
    flows.get("company.team", "hello")

    snapshot = stack.stats.snapshot()
    assert snapshot.calls == {("dynamodb", "Query"): 1, ("dynamodb", "GetItem"): 1}
    assert snapshot.read_units > 0
    assert snapshot.write_units == 0
    stack.stats.reset()
    assert stack.stats.snapshot().total_calls == 0


def test_long_dedup_ids_are_hashed_for_fifo_and_schedules(stack: EmbeddedStack) -> None:
    bus = stack.message_bus()
    long_id = "exec1/" + "x" * 200
    bus.send([Message(QueueName.DISPATCH, {"n": 1}, long_id, group_id="exec1")])
    bus.send([Message(QueueName.DISPATCH, {"n": 2}, long_id, group_id="exec1")])  # a re-send: dropped
    timer = Message(QueueName.TIMER, {"t": 1}, "exec1/run 1/timeout#1", deliver_at=START + timedelta(hours=3))
    bus.send([timer])
    bus.send([timer])  # the same schedule again: ignored

    received = stack.session.sqs.receive_message(
        QueueUrl=stack.settings.dispatch_queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
    )["Messages"]
    assert [json.loads(m["Body"]) for m in received] == [{"n": 1}]
    assert len(received[0]["Attributes"]["MessageDeduplicationId"]) == 64
    schedules = stack.session.scheduler.list_schedules(GroupName=stack.settings.schedule_group)["Schedules"]
    assert len(schedules) == 1
    detail = stack.session.scheduler.get_schedule(
        Name=schedules[0]["Name"], GroupName=stack.settings.schedule_group
    )
    assert detail["ScheduleExpression"] == "at(2026-01-01T15:00:00)"
    assert detail["ActionAfterCompletion"] == "DELETE"
    assert detail["Target"]["Arn"] == stack.settings.timer_queue_arn
    assert json.loads(detail["Target"]["Input"]) == {"t": 1}


def test_short_timers_use_the_timer_queue_delay(stack: EmbeddedStack) -> None:
    stack.message_bus().send(
        [Message(QueueName.TIMER, {"t": 1}, "t1", deliver_at=START + timedelta(seconds=30, milliseconds=1))]
    )
    attributes = stack.session.sqs.get_queue_attributes(
        QueueUrl=stack.settings.timer_queue_url, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"
    assert stack.session.scheduler.list_schedules(GroupName=stack.settings.schedule_group)["Schedules"] == []


def test_two_saves_racing_for_a_revision_cannot_both_win(stack: EmbeddedStack) -> None:
    first, second = stack.flow_repository(), stack.flow_repository()
    first.save("company.team", "hello", "v1")
    # `second` read revision 1 as the latest, then `first` saved revision 2 before it could write.
    stale = [second.get("company.team", "hello")]
    first.save("company.team", "hello", "v2 by first")
    read_latest = second._latest

    def stale_once(namespace: str, flow_id: str) -> FlowRecord | None:
        return stale.pop() if stale else read_latest(namespace, flow_id)

    second._latest = stale_once  # type: ignore[method-assign]

    saved = second.save("company.team", "hello", "v2 by second")

    assert saved.revision == 3
    assert [first.get("company.team", "hello", n).source for n in (1, 2, 3)] == [  # type: ignore[union-attr]
        "v1",
        "v2 by first",
        "v2 by second",
    ]


def test_a_cold_load_reads_back_to_the_latest_snapshot_only(stack: EmbeddedStack) -> None:
    store = stack.execution_store()
    store.create(make_execution(runs=3))
    execution = make_execution(runs=3)
    execution.version = 1
    for _ in range(3 * SNAPSHOT_EVERY + 5):
        execution.version = store.commit(Commit(execution, frozenset({"run00001"}), header_changed=False))
    stack.stats.reset()
    stored = store.load("exec1")
    assert stored is not None and stored.execution.version == 3 * SNAPSHOT_EVERY + 6
    assert stack.stats.snapshot().calls == {("dynamodb", "Query"): 1}
    assert stack.stats.snapshot().read_units <= 2


def test_a_search_without_a_flow_reads_the_headers_alone(stack: EmbeddedStack) -> None:
    """A scan bills every item it reads: it reads the listing index, not the steps' journal entries."""
    store = stack.execution_store()
    for number in range(3):
        execution = make_execution(f"exec{number}", runs=2, at=START + timedelta(minutes=number))
        store.create(execution)
        execution.version = 1
        for _ in range(5):
            execution.version = store.commit(Commit(execution, frozenset({"run00001"}), header_changed=False))
    scanned: list[int] = []
    stack.session.dynamodb.meta.events.register(
        "after-call.dynamodb.Scan", lambda parsed, **_: scanned.append(parsed["ScannedCount"])
    )
    assert [e.id for e in store.search(namespace="company.team")] == ["exec2", "exec1", "exec0"]
    assert sum(scanned) == 3


def test_the_newest_execution_of_a_flow_is_one_item_read(stack: EmbeddedStack) -> None:
    store = stack.execution_store()
    for number in range(30):
        store.create(make_execution(f"exec{number:02d}", at=START + timedelta(minutes=number)))
    stack.stats.reset()
    assert [e.id for e in store.search("company.team", "hello", limit=1)] == ["exec29"]
    assert stack.stats.snapshot().calls == {("dynamodb", "Query"): 1}
    assert stack.stats.snapshot().read_units <= 1


def test_a_large_body_is_kept_as_long_as_its_message_may_live(stack: EmbeddedStack) -> None:
    """The bucket expires the bodies of queued messages (14 days at most in SQS), not a scheduled one's."""
    stack.message_bus().send(
        [
            Message(QueueName.WORKER, {"blob": "q" * 300_000}, "big-queued"),
            Message(
                QueueName.TIMER, {"blob": "s" * 20_000}, "big-later", deliver_at=START + timedelta(days=30)
            ),
        ]
    )
    listed = stack.session.s3.list_objects_v2(Bucket=stack.settings.bucket, Prefix="_internal/messages/")
    folders = sorted(item["Key"].rpartition("/")[0] for item in listed.get("Contents", []))
    assert folders == [QUEUED_BODIES, SCHEDULED_BODIES]
