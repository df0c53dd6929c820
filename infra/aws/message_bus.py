"""The message bus on SQS and EventBridge Scheduler (design §4).

DISPATCH goes to the FIFO queue grouped by execution id; WORKER to the standard worker queue. A TIMER,
or any message with a `deliver_at`, reaches the dispatcher through the timer queue: directly with a
per-message delay when it is due within SQS's 15-minute limit, otherwise through a one-time Scheduler
schedule that sends it to the timer queue at that time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from engine.ports import Message, QueueName
from engine.resources import Clock
from infra.aws.blobs import S3Blobs
from infra.aws.session import AwsSession
from infra.aws.settings import AwsSettings

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

MAX_DELAY_SECONDS = 900
# SQS accepts 256 KB per message and per batch; EventBridge Scheduler 8 KB of target input.
_SQS_BODY_BYTES = 200 * 1024
_SQS_BATCH_BYTES = 250 * 1024
_SCHEDULE_INPUT_BYTES = 7 * 1024
_BATCH = 10
_FIFO_DEDUP_ID = re.compile(r"^[!-~]{1,128}$")
_SCHEDULE_NAME = re.compile(r"^[0-9A-Za-z_.-]{1,64}$")
_REF = "$ref"


# Where a body too large for its queue or schedule goes. A queued message lives at most 14 days (SQS's
# retention, its dead-letter queue's included), so the bucket expires its body after 15 (template.yaml); a
# re-sent one writes it again, which starts its days over. A scheduled one may wait for any date: kept.
QUEUED_BODIES = "_internal/messages/queued"
SCHEDULED_BODIES = "_internal/messages/scheduled"


class MessageSendError(RuntimeError):
    """SQS refused some entries of a batch; the outbox must be sent again."""


class SqsMessageBus:
    def __init__(self, session: AwsSession, settings: AwsSettings, blobs: S3Blobs, clock: Clock) -> None:
        self._session = session
        self._settings = settings
        self._blobs = blobs
        self._clock = clock

    def send(self, messages: Sequence[Message]) -> None:
        now = self._clock.now()
        by_queue: dict[str, list[SendMessageBatchRequestEntryTypeDef]] = {}
        for message in messages:
            delay = _delay_seconds(message, now)
            if delay is None:
                url = self._url(message.queue)
                by_queue.setdefault(url, []).append(self._entry(message, url))
            elif delay <= MAX_DELAY_SECONDS:
                url = self._settings.timer_queue_url
                by_queue.setdefault(url, []).append(self._entry(message, url) | {"DelaySeconds": delay})
            else:
                self._schedule(message)
        for url, entries in by_queue.items():
            for batch in _batches(entries):
                self._send_batch(url, batch)

    def decode_body(self, raw: str) -> dict[str, Any]:
        """A received body, with a body that was too large for the queue fetched back from S3."""
        body: dict[str, Any] = json.loads(raw)
        if set(body) == {_REF}:
            key = body[_REF].removeprefix(f"s3://{self._blobs.bucket}/")
            loaded: dict[str, Any] = json.loads(self._blobs.get(key))
            return loaded
        return body

    def _url(self, queue: QueueName) -> str:
        match queue:
            case QueueName.DISPATCH:
                return self._settings.dispatch_queue_url
            case QueueName.WORKER:
                return self._settings.worker_queue_url
            case QueueName.TIMER:
                return self._settings.timer_queue_url

    def _entry(self, message: Message, url: str) -> SendMessageBatchRequestEntryTypeDef:
        entry: SendMessageBatchRequestEntryTypeDef = {
            "Id": "",
            "MessageBody": self._encode(message, _SQS_BODY_BYTES, QUEUED_BODIES),
        }
        if url == self._settings.dispatch_queue_url:
            if message.group_id is None:
                raise ValueError(f"a dispatch message needs a group id: {message.dedup_id}")
            entry["MessageGroupId"] = message.group_id
            entry["MessageDeduplicationId"] = _fifo_dedup_id(message.dedup_id)
        return entry

    def _encode(self, message: Message, limit: int, folder: str) -> str:
        text = json.dumps(message.body)
        if len(text.encode()) <= limit:
            return text
        key = self._blobs.put_addressed(folder, text)
        return json.dumps({_REF: f"s3://{self._blobs.bucket}/{key}"})

    def _send_batch(self, url: str, entries: list[SendMessageBatchRequestEntryTypeDef]) -> None:
        for index, entry in enumerate(entries):
            entry["Id"] = str(index)
        response = self._session.sqs.send_message_batch(QueueUrl=url, Entries=entries)
        failed = response.get("Failed", [])
        if failed:
            reasons = ", ".join(f"{f.get('Code')}: {f.get('Message')}" for f in failed)
            raise MessageSendError(f"{len(failed)} of {len(entries)} messages refused by {url}: {reasons}")

    def _schedule(self, message: Message) -> None:
        assert message.deliver_at is not None  # only delayed messages reach here
        # at() has a one-second resolution: round up, so that a timer never fires early.
        at = datetime.fromtimestamp(math.ceil(message.deliver_at.timestamp()), UTC)
        scheduler = self._session.scheduler
        # The same timer scheduled again (a re-sent outbox) has the same name: the first one stands.
        with contextlib.suppress(scheduler.exceptions.ConflictException):
            scheduler.create_schedule(
                Name=_schedule_name(message.dedup_id),
                GroupName=self._settings.schedule_group,
                ScheduleExpression=f"at({at:%Y-%m-%dT%H:%M:%S})",
                ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE",
                Target={
                    "Arn": self._settings.timer_queue_arn,
                    "RoleArn": self._settings.scheduler_role_arn,
                    "Input": self._encode(message, _SCHEDULE_INPUT_BYTES, SCHEDULED_BODIES),
                },
            )


def _delay_seconds(message: Message, now: datetime) -> int | None:
    """None for an immediate message to its own queue, else whole seconds to wait (0 when already due)."""
    if message.deliver_at is None:
        return 0 if message.queue is QueueName.TIMER else None
    return max(0, math.ceil((message.deliver_at - now).total_seconds()))


def _fifo_dedup_id(dedup_id: str) -> str:
    return dedup_id if _FIFO_DEDUP_ID.match(dedup_id) else hashlib.sha256(dedup_id.encode()).hexdigest()


def _schedule_name(dedup_id: str) -> str:
    return dedup_id if _SCHEDULE_NAME.match(dedup_id) else hashlib.sha256(dedup_id.encode()).hexdigest()


def _batches(
    entries: list[SendMessageBatchRequestEntryTypeDef],
) -> Iterator[list[SendMessageBatchRequestEntryTypeDef]]:
    """Up to 10 entries whose bodies together stay within the batch payload limit."""
    batch: list[SendMessageBatchRequestEntryTypeDef] = []
    size = 0
    for entry in entries:
        body_size = len(entry["MessageBody"].encode())
        if batch and (len(batch) == _BATCH or size + body_size > _SQS_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(entry)
        size += body_size
    if batch:
        yield batch
