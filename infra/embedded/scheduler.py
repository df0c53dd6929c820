"""Firing EventBridge Scheduler's schedules, which moto stores but never runs: one-time `at()` schedules
(timers, ScheduleOnDates), deleted once sent, and recurring `cron()`/`rate()` ones (Schedule triggers),
each sent with the time it was due for in place of `<aws.scheduler.scheduled-time>`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter
from msgspec import Struct

from infra.aws.session import AwsSession

_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"
# The highest value of each cron field, for EventBridge's `a/n` (from a, every n).
_MAXIMA = (59, 23, 31, 12)
# A clock that jumps far sends at most this many firings of one recurring schedule (then the latest).
_MAX_CATCH_UP = 100


class _Schedule(Struct, frozen=True):
    name: str
    expression: str
    zone: ZoneInfo
    target_arn: str
    input: str
    group_id: str | None
    modified: object  # LastModificationDate: an updated schedule is read again

    @property
    def at(self) -> datetime | None:
        match = _AT.match(self.expression)
        return datetime.fromisoformat(match[1]).replace(tzinfo=self.zone) if match else None

    def following(self, after: datetime) -> datetime | None:
        """A recurring schedule's first firing after `after`."""
        rate = _RATE.match(self.expression)
        if rate is not None:
            unit = rate[2].rstrip("s")
            return after + timedelta(**{f"{unit}s": int(rate[1])})
        cron = _CRON.match(self.expression)
        if cron is None:
            return None
        fields = cron[1].split()[:5]
        fields = [
            "*" if field == "?" else _ranged(field, maximum)
            for field, maximum in zip(fields, (*_MAXIMA, 7), strict=True)
        ]
        following: datetime = croniter(" ".join(fields), after.astimezone(self.zone)).get_next(datetime)
        return following.astimezone(UTC)


def _ranged(field: str, maximum: int) -> str:
    start, slash, step = field.partition("/")
    return f"{start}-{maximum}/{step}" if slash and start.isdigit() else field


class LocalScheduler:
    """Sends each due schedule of one group to its SQS target: a one-time one once, then deletes it (as
    `ActionAfterCompletion=DELETE` does); a recurring one at each of its times from when it was first seen."""

    def __init__(
        self, session: AwsSession, group: str, queue_urls: dict[str, str], *, recurring: bool = True
    ) -> None:
        self._session = session
        self._recurring = recurring
        self._group = group
        self._queue_urls = queue_urls
        """Queue URL by ARN, for the targets."""
        self._known: dict[str, _Schedule] = {}
        self._last: dict[str, datetime] = {}  # a recurring schedule's last firing (or when it was first seen)

    def pending(self) -> list[datetime]:
        """Due times of the one-time schedules that exist now."""
        self._refresh()
        return [at for s in self._known.values() if (at := s.at) is not None]

    def recurring_due(self, now: datetime) -> datetime | None:
        """When the next recurring schedule fires (they never run out: idle does not wait for them)."""
        self._refresh()
        times = [self._next(schedule) for schedule in self._known.values() if schedule.at is None]
        return min((t for t in times if t is not None), default=None)

    def fire_due(self, now: datetime) -> int:
        self._refresh()
        fired = 0
        for schedule in list(self._known.values()):
            at = schedule.at
            if at is not None:
                if at <= now:
                    self._send(schedule, at)
                    self._session.scheduler.delete_schedule(Name=schedule.name, GroupName=self._group)
                    del self._known[schedule.name]
                    fired += 1
                continue
            due = []
            following = self._next(schedule)
            while following is not None and following <= now:
                due.append(following)
                following = schedule.following(following)
            for time in due[:_MAX_CATCH_UP] + due[-1:] if len(due) > _MAX_CATCH_UP else due:
                self._send(schedule, time)
                self._last[schedule.name] = time
                fired += 1
        return fired

    def _next(self, schedule: _Schedule) -> datetime | None:
        return schedule.following(self._last[schedule.name]) if self._recurring else None

    def _send(self, schedule: _Schedule, time: datetime) -> None:
        url = self._queue_urls.get(schedule.target_arn)
        if url is None:
            raise ValueError(
                f"schedule {schedule.name}: target {schedule.target_arn} is not a queue of the stack"
            )
        body = schedule.input.replace(_SCHEDULED_TIME, time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        if schedule.group_id is None:
            self._session.sqs.send_message(QueueUrl=url, MessageBody=body)
        else:
            self._session.sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=schedule.group_id)

    def _refresh(self) -> None:
        scheduler = self._session.scheduler
        summaries: dict[str, object] = {}
        token = ""
        while True:
            if token:
                page = scheduler.list_schedules(GroupName=self._group, NextToken=token)
            else:
                page = scheduler.list_schedules(GroupName=self._group)
            summaries |= {
                s["Name"]: s.get("LastModificationDate") for s in page.get("Schedules", []) if "Name" in s
            }
            token = page.get("NextToken", "")
            if not token:
                break
        known = {}
        for name, modified in summaries.items():
            cached = self._known.get(name)
            known[name] = (
                cached if cached is not None and cached.modified == modified else self._read(name, modified)
            )
        self._known = known
        # The process's clock: a VirtualClock moves it.
        self._last = {name: self._last.get(name) or datetime.now(UTC) for name in known}

    def _read(self, name: str, modified: object) -> _Schedule:
        detail = self._session.scheduler.get_schedule(Name=name, GroupName=self._group)
        target = detail["Target"]
        return _Schedule(
            name=name,
            expression=detail["ScheduleExpression"],
            zone=ZoneInfo(detail.get("ScheduleExpressionTimezone") or "UTC"),
            target_arn=target["Arn"],
            input=target.get("Input", ""),
            group_id=target.get("SqsParameters", {}).get("MessageGroupId"),
            modified=modified,
        )
