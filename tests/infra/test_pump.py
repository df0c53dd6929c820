"""The pump plays Lambda's SQS event source mappings and EventBridge Scheduler."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.ports import Message, QueueName
from infra.embedded.clock import VirtualClock
from infra.embedded.pump import Pump, PumpTimeoutError
from infra.embedded.stack import EmbeddedStack
from infra.embedded.template import load_template, read_document, template_path

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
DISPATCHER, WORKER, DEAD_LETTERS = "DispatcherFunction", "WorkerFunction", "DeadLetterFunction"
RECORD_KEYS = {
    "messageId",
    "receiptHandle",
    "body",
    "attributes",
    "messageAttributes",
    "md5OfBody",
    "eventSource",
    "eventSourceARN",
    "awsRegion",
}


class Recorder:
    """A handler that records its calls and fails the records whose body says so (unless `fail` is off)."""

    def __init__(self, raise_error: bool = False, fail: bool = True) -> None:
        self.events: list[dict[str, Any]] = []
        self.contexts: list[Any] = []
        self.raise_error = raise_error
        self.fail = fail

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.events.append(event)
        self.contexts.append(context)
        if self.raise_error:
            raise RuntimeError("handler crashed")
        failed = [r["messageId"] for r in event["Records"] if self.fail and json.loads(r["body"]).get("fail")]
        return {"batchItemFailures": [{"itemIdentifier": i} for i in failed]}

    @property
    def records(self) -> list[dict[str, Any]]:
        return [record for event in self.events for record in event["Records"]]

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(record["body"]) for record in self.records]


@pytest.fixture
def clock() -> Iterator[VirtualClock]:
    with VirtualClock(START) as clock:
        yield clock


@pytest.fixture
def stack(clock: VirtualClock) -> Iterator[EmbeddedStack]:
    with EmbeddedStack(clock=clock) as stack:
        yield stack


def test_dispatch_message_reaches_the_dispatcher_in_lambda_shape(
    stack: EmbeddedStack, clock: VirtualClock
) -> None:
    dispatcher, worker = Recorder(), Recorder()
    pump = Pump(stack, clock, {DISPATCHER: dispatcher, WORKER: worker})
    stack.message_bus().send([Message(QueueName.DISPATCH, {"type": "ExecutionCreated"}, "e1-created", "e1")])

    assert pump.step() == 1

    assert worker.events == []
    (record,) = dispatcher.records
    assert set(record) == RECORD_KEYS
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == stack.queue_arn("DispatchQueue")
    assert record["awsRegion"] == stack.region
    assert json.loads(record["body"]) == {"type": "ExecutionCreated"}
    attributes = record["attributes"]
    assert attributes["ApproximateReceiveCount"] == "1"
    assert attributes["MessageGroupId"] == "e1"
    assert attributes["MessageDeduplicationId"] == "e1-created"
    assert {"SentTimestamp", "ApproximateFirstReceiveTimestamp", "SenderId", "SequenceNumber"} <= set(
        attributes
    )
    context = dispatcher.contexts[0]
    assert context.function_name == "kite-DispatcherFunction"
    assert context.invoked_function_arn.endswith(":function:kite-DispatcherFunction")
    assert 0 < context.get_remaining_time_in_millis() <= 60_000
    assert pump.step() == 0
    assert pump.idle()


def test_batch_item_failures_are_redelivered_then_dead_lettered(
    stack: EmbeddedStack, clock: VirtualClock
) -> None:
    worker, dead_letters = Recorder(), Recorder(fail=False)
    pump = Pump(stack, clock, {DISPATCHER: Recorder(), WORKER: worker, DEAD_LETTERS: dead_letters})
    stack.message_bus().send([Message(QueueName.WORKER, {"n": n, "fail": n == 1}, f"w{n}") for n in range(3)])

    pump.run_until(pump.idle, timeout_s=10)

    counts = [r["attributes"]["ApproximateReceiveCount"] for r in worker.records]
    received = [(b["n"], count) for b, count in zip(worker.bodies(), counts, strict=True)]
    assert sorted(received) == [(0, "1"), (1, "1"), (1, "2"), (1, "3"), (1, "4"), (1, "5"), (2, "1")]
    # The dead-letter queue feeds its own function, as template.yaml wires it.
    assert dead_letters.bodies() == [{"n": 1, "fail": True}]
    assert dead_letters.records[0]["eventSourceARN"] == stack.queue_arn("WorkerDLQ")


def test_a_raising_handler_fails_the_whole_batch(stack: EmbeddedStack, clock: VirtualClock) -> None:
    dispatcher = Recorder(raise_error=True)
    pump = Pump(stack, clock, {DISPATCHER: dispatcher, WORKER: Recorder()})
    stack.message_bus().send([Message(QueueName.DISPATCH, {"n": n}, f"d{n}", "e1") for n in range(2)])

    pump.step()
    pump.step()

    assert [len(e["Records"]) for e in dispatcher.events] == [2, 2]
    assert [r["attributes"]["ApproximateReceiveCount"] for r in dispatcher.events[1]["Records"]] == ["2", "2"]


def test_virtual_time_releases_delayed_messages_and_fires_schedules(
    stack: EmbeddedStack, clock: VirtualClock
) -> None:
    dispatcher = Recorder()
    pump = Pump(stack, clock, {DISPATCHER: dispatcher, WORKER: Recorder()})
    stack.message_bus().send(
        [
            Message(QueueName.TIMER, {"timer": "2h"}, "t-2h", deliver_at=START + timedelta(hours=2)),
            Message(QueueName.TIMER, {"timer": "900s"}, "t-900", deliver_at=START + timedelta(seconds=900)),
        ]
    )
    assert pump.step() == 0

    started = time.perf_counter()
    pump.run_until(lambda: len(dispatcher.records) == 2, timeout_s=10)

    assert time.perf_counter() - started < 2
    assert dispatcher.bodies() == [{"timer": "900s"}, {"timer": "2h"}]
    assert all(r["eventSourceARN"] == stack.queue_arn("TimerQueue") for r in dispatcher.records)
    assert START + timedelta(hours=2) <= clock.now() < START + timedelta(hours=2, seconds=5)
    assert stack.session.scheduler.list_schedules(GroupName=stack.settings.schedule_group)["Schedules"] == []
    assert pump.idle()


def test_run_until_stops_when_nothing_is_left(stack: EmbeddedStack, clock: VirtualClock) -> None:
    pump = Pump(stack, clock, {DISPATCHER: Recorder(), WORKER: Recorder()})
    with pytest.raises(PumpTimeoutError, match="nothing left"):
        pump.run_until(lambda: False, timeout_s=5)


def test_pump_calls_are_not_counted_as_the_engine_s(stack: EmbeddedStack, clock: VirtualClock) -> None:
    pump = Pump(stack, clock, {DISPATCHER: Recorder(), WORKER: Recorder()})
    stack.message_bus().send([Message(QueueName.WORKER, {"n": 1}, "w1")])
    stack.stats.reset()

    pump.step()

    assert stack.stats.snapshot().total_calls == 0
    assert pump.stats.snapshot().calls[("sqs", "ReceiveMessage")] == len(pump.sources)


ECHOED: list[dict[str, Any]] = []


def echo_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A function declared only in a template (see the test below)."""
    ECHOED.extend(json.loads(record["body"]) for record in event["Records"])
    return {"batchItemFailures": []}


def test_a_function_added_to_the_template_is_pumped(tmp_path: Path, clock: VirtualClock) -> None:
    """Adding a function is the template plus one module: the pump imports its Handler and feeds it."""
    document = read_document(template_path())
    document["Resources"]["EchoQueue"] = {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 30}}
    document["Resources"]["EchoFunction"] = {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "Handler": f"{__name__}.echo_handler",
            "Events": {
                "Echo": {"Type": "SQS", "Properties": {"Queue": {"Fn::GetAtt": ["EchoQueue", "Arn"]}}}
            },
        },
    }
    path = tmp_path / "template.yaml"
    path.write_text(yaml.safe_dump(document))
    ECHOED.clear()
    with EmbeddedStack(clock=clock, template=load_template(path)) as stack:
        pump = Pump(stack, clock)
        stack.session.sqs.send_message(QueueUrl=stack.queue_urls["EchoQueue"], MessageBody='{"hello": 1}')
        pump.run_until(lambda: bool(ECHOED), timeout_s=10)
    assert ECHOED == [{"hello": 1}]


def test_handlers_for_functions_the_template_lacks_are_refused(
    stack: EmbeddedStack, clock: VirtualClock
) -> None:
    with pytest.raises(ValueError, match=r"template\.yaml declares no NoSuchFunction"):
        Pump(stack, clock, {"NoSuchFunction": Recorder()})
