"""The local stand-in for Lambda's SQS event source mappings and for EventBridge Scheduler (design §5).

Each round receives one batch from every queue that feeds a function in template.yaml, calls the handler
in-process with Lambda's event shape, deletes what succeeded and makes the failures visible again at once
(moto's redrive then moves a message to its dead-letter queue after maxReceiveCount receives), and sends
the due one-time schedules to their queues.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from msgspec import Struct

from engine.resources import Clock
from infra.aws.session import AwsSession, RequestStats
from infra.embedded.clock import VirtualClock
from infra.embedded.lambda_shapes import LambdaContext, sqs_event
from infra.embedded.moto_sqs import has_visible, next_visible
from infra.embedded.scheduler import LocalScheduler
from infra.embedded.stack import ACCOUNT_ID, EmbeddedStack
from infra.embedded.template import FunctionSpec

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import (
        ChangeMessageVisibilityBatchRequestEntryTypeDef,
        DeleteMessageBatchRequestEntryTypeDef,
    )

Handler = Callable[[dict[str, Any], Any], Any]

logger = logging.getLogger(__name__)

# moto compares visibility times strictly, so a jump lands just past the due instant.
PAST_DUE = timedelta(milliseconds=1)
_REAL_TIME_POLL_S = 0.05


class PumpTimeoutError(TimeoutError):
    pass


class Source(Struct, frozen=True):
    """One event source mapping: a queue feeding a function."""

    queue_url: str
    queue_arn: str
    batch_size: int
    function: FunctionSpec
    handler: Handler


def template_handler(function: FunctionSpec) -> Handler:
    """The function's code, found as Lambda finds it: template.yaml's `Handler`, `module.attribute`."""
    module, _, attribute = function.handler.rpartition(".")
    handler = getattr(importlib.import_module(module), attribute, None)
    if not callable(handler):
        raise ValueError(f"{function.logical_id}: Handler {function.handler} is not a callable")
    return cast(Handler, handler)


class Pump:
    """Feeds every function of template.yaml from its SQS event sources: adding a function to the template
    is all it takes for the pump to run it. `handlers` stand in for some functions' own (tests), keyed by
    logical id. Without `recurring`, recurring schedules (Schedule triggers) never fire."""

    def __init__(
        self,
        stack: EmbeddedStack,
        clock: Clock,
        handlers: Mapping[str, Handler] | None = None,
        *,
        recurring: bool = True,
    ) -> None:
        self._stack = stack
        self._clock = clock
        # The pump's own calls are what Lambda and Scheduler do in the cloud, not the engine's: they are
        # counted apart from `stack.stats`.
        self.stats = RequestStats()
        self._session = AwsSession(stack.session.session, self.stats)
        given = dict(handlers or {})
        functions = stack.template.functions
        unknown = set(given) - {f.logical_id for f in functions}
        if unknown:
            raise ValueError(f"template.yaml declares no {', '.join(sorted(unknown))}")
        self.sources = [
            Source(
                stack.queue_urls[queue],
                stack.queue_arn(queue),
                batch,
                function,
                given.get(function.logical_id) or template_handler(function),
            )
            for function in functions
            for queue, batch in function.queues.items()
        ]
        self._scheduler = LocalScheduler(
            self._session,
            stack.settings.schedule_group,
            {stack.queue_arn(logical_id): url for logical_id, url in stack.queue_urls.items()},
            recurring=recurring,
        )

    def step(self) -> int:
        """One round; returns how many messages and schedules it moved."""
        moved = sum(self.deliver(source) for source in self.sources)
        return moved + self.fire_due()

    def run_until(self, predicate: Callable[[], bool], timeout_s: float = 30.0) -> None:
        """Step until `predicate()` holds. When nothing moves, a VirtualClock jumps to the next due message
        or schedule; the real clock is waited for."""
        deadline = time.monotonic() + timeout_s
        while not predicate():
            if time.monotonic() > deadline:
                raise PumpTimeoutError(f"condition not met within {timeout_s} s (wall clock)")
            # A round that delivered nothing may still have changed what the predicate sees: moto's redrive
            # moves an exhausted message to its dead-letter queue during the receive.
            if self.step() or predicate():
                continue
            due = self.next_due()
            if isinstance(self._clock, VirtualClock):
                if due is None:
                    raise PumpTimeoutError("nothing left to deliver and the condition does not hold")
                self._clock.advance_to(due + PAST_DUE)
            else:
                wait = (due - self._clock.now()).total_seconds() if due is not None else _REAL_TIME_POLL_S
                time.sleep(min(max(wait, 0.0), _REAL_TIME_POLL_S))

    def ready(self) -> bool:
        """Some message could be delivered now."""
        return any(self.visible(source) for source in self.sources)

    def idle(self) -> bool:
        """No message in any pumped queue (visible, delayed or in flight) and no pending one-time schedule
        (recurring ones never run out)."""
        return self._next_pending() is None and not self.ready()

    def next_due(self) -> datetime | None:
        """When the next hidden message or the next schedule comes due."""
        candidates = [self._next_pending(), self._scheduler.recurring_due(self._clock.now())]
        return min((c for c in candidates if c is not None), default=None)

    def _next_pending(self) -> datetime | None:
        names = [url.rsplit("/", 1)[-1] for url in {source.queue_url for source in self.sources}]
        candidates = [*self._scheduler.pending()]
        hidden = next_visible(ACCOUNT_ID, self._stack.region, names)
        if hidden is not None:
            candidates.append(hidden)
        return min(candidates, default=None)

    def deliver(self, source: Source, max_messages: int | None = None, *, retry_after_s: int = 0) -> int:
        """One receive from `source` and one invocation of its function, as Lambda's event source mapping
        does: what succeeded is deleted, the failures come back after `retry_after_s` seconds."""
        sqs = self._session.sqs
        messages = sqs.receive_message(
            QueueUrl=source.queue_url,
            MaxNumberOfMessages=min(max_messages or source.batch_size, source.batch_size),
            WaitTimeSeconds=0,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        event = sqs_event(messages, source.queue_arn, self._stack.region)
        failed = self._invoke(source, event)
        done: list[DeleteMessageBatchRequestEntryTypeDef] = []
        retry: list[ChangeMessageVisibilityBatchRequestEntryTypeDef] = []
        for index, message in enumerate(messages):
            entry_id, handle = str(index), message["ReceiptHandle"]
            if message["MessageId"] in failed:
                retry.append({"Id": entry_id, "ReceiptHandle": handle, "VisibilityTimeout": retry_after_s})
            else:
                done.append({"Id": entry_id, "ReceiptHandle": handle})
        if done:
            sqs.delete_message_batch(QueueUrl=source.queue_url, Entries=done)
        if retry:
            sqs.change_message_visibility_batch(QueueUrl=source.queue_url, Entries=retry)
        return len(messages)

    def fire_due(self) -> int:
        """Send the one-time schedules that are due to their queues."""
        return self._scheduler.fire_due(self._clock.now())

    def visible(self, source: Source) -> bool:
        return has_visible(ACCOUNT_ID, self._stack.region, source.queue_url.rsplit("/", 1)[-1])

    def _invoke(self, source: Source, event: dict[str, Any]) -> set[str]:
        """Ids of the records the handler failed; all of them when it raised, as Lambda retries the batch."""
        function = source.function
        name = self._stack.physical_name(function.logical_id)
        context = LambdaContext(
            function_name=name,
            invoked_function_arn=f"arn:aws:lambda:{self._stack.region}:{ACCOUNT_ID}:function:{name}",
            memory_limit_in_mb=function.memory_size,
            timeout_s=function.timeout,
        )
        try:
            response = source.handler(event, context)
        except Exception:
            logger.exception(
                "%s failed on a batch of %d from %s", name, len(event["Records"]), source.queue_arn
            )
            return {record["messageId"] for record in event["Records"]}
        failures = (response or {}).get("batchItemFailures", [])
        return {failure["itemIdentifier"] for failure in failures}
