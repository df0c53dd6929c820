"""Firing EventBridge Scheduler's one-time `at()` schedules, which moto stores but never runs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from infra.aws.session import AwsSession

_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")


@dataclass(frozen=True, slots=True)
class _Schedule:
    name: str
    at: datetime
    target_arn: str
    input: str
    group_id: str | None


class LocalScheduler:
    """Sends each due `at()` schedule of one group to its SQS target, then deletes it (as
    `ActionAfterCompletion=DELETE` does). Recurring schedules are left alone."""

    def __init__(self, session: AwsSession, group: str, queue_urls: dict[str, str]) -> None:
        self._session = session
        self._group = group
        self._queue_urls = queue_urls
        """Queue URL by ARN, for the targets."""
        # Schedules are created once and never updated, so each is read once.
        self._known: dict[str, _Schedule | None] = {}

    def pending(self) -> list[datetime]:
        """Due times of the one-time schedules that exist now."""
        scheduler = self._session.scheduler
        names: list[str] = []
        token = ""
        while True:
            if token:
                page = scheduler.list_schedules(GroupName=self._group, NextToken=token)
            else:
                page = scheduler.list_schedules(GroupName=self._group)
            names += [s["Name"] for s in page.get("Schedules", []) if "Name" in s]
            token = page.get("NextToken", "")
            if not token:
                break
        self._known = {name: self._known[name] if name in self._known else self._read(name) for name in names}
        return [s.at for s in self._known.values() if s is not None]

    def fire_due(self, now: datetime) -> int:
        self.pending()
        fired = 0
        for schedule in list(self._known.values()):
            if schedule is None or schedule.at > now:
                continue
            url = self._queue_urls.get(schedule.target_arn)
            if url is None:
                raise ValueError(
                    f"schedule {schedule.name}: target {schedule.target_arn} is not a queue of the stack"
                )
            if schedule.group_id is None:
                self._session.sqs.send_message(QueueUrl=url, MessageBody=schedule.input)
            else:
                self._session.sqs.send_message(
                    QueueUrl=url, MessageBody=schedule.input, MessageGroupId=schedule.group_id
                )
            self._session.scheduler.delete_schedule(Name=schedule.name, GroupName=self._group)
            del self._known[schedule.name]
            fired += 1
        return fired

    def _read(self, name: str) -> _Schedule | None:
        detail = self._session.scheduler.get_schedule(Name=name, GroupName=self._group)
        match = _AT.match(detail["ScheduleExpression"])
        if match is None:
            return None
        zone = ZoneInfo(detail.get("ScheduleExpressionTimezone") or "UTC")
        target = detail["Target"]
        return _Schedule(
            name=name,
            at=datetime.fromisoformat(match[1]).replace(tzinfo=zone),
            target_arn=target["Arn"],
            input=target.get("Input", ""),
            group_id=target.get("SqsParameters", {}).get("MessageGroupId"),
        )
