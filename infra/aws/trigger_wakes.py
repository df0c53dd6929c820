"""Schedules woken by EventBridge Scheduler: one schedule per Schedule trigger in the stack's schedule group,
sending a CLOCK tick to the timer queue at each date, with the date it was meant for.

The tick decides which dates fire (from the trigger's own cron, with Kestra's DST rules), so a schedule only
has to wake it on time. A cron EventBridge cannot express (seconds, both day fields restricted, `L`, `W`,
`#`) wakes it every minute instead, and the tick itself wakes the next date of a sub-minute cron. Each date
of a ScheduleOnDates is a one-time schedule; a polling trigger's interval is a rate().
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import UTC
from typing import TYPE_CHECKING

from engine.flow.schedule import Cron, Interval, OnDates
from engine.ports import Wake
from engine.services.messages import Tick, TickMode, tick_body
from infra.aws.session import AwsSession
from infra.aws.settings import AwsSettings

if TYPE_CHECKING:
    from mypy_boto3_scheduler.type_defs import TargetTypeDef

EVERY_MINUTE = "rate(1 minute)"
SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_STEP = re.compile(r"^\*/(\d+)$")


def aws_expression(cron: Cron) -> str:
    """EventBridge Scheduler's cron() for `cron`, or a wake every minute when it has none."""
    fields = cron.expression.split()
    if cron.with_seconds:
        seconds, *fields = fields
        if seconds != "0":
            return EVERY_MINUTE
    if any(mark in field for field in fields for mark in "LW#?"):
        return EVERY_MINUTE
    minute, hour, day, month, weekday = fields
    if weekday == "*":
        weekday = "?"
    elif day == "*":
        day = "?"
        converted = _weekdays(weekday)
        if converted is None:
            return EVERY_MINUTE
        weekday = converted
    else:
        return EVERY_MINUTE  # cron fires when either day field matches; EventBridge takes one of them
    minute, hour = _from(minute, 0), _from(hour, 0)
    day, month = _from(day, 1), _from(month, 1)
    return f"cron({minute} {hour} {day} {month} {weekday} *)"


def every(interval: Interval) -> str:
    """A polling interval as a rate: whole minutes (EventBridge's least), the tick wakes the dates in
    between itself."""
    minutes = max(1, int(interval.every.total_seconds()) // 60)
    return f"rate({minutes} minute{'s' if minutes > 1 else ''})"


def _from(field: str, first: int) -> str:
    """`*/n` as EventBridge writes it: from the field's first value."""
    match = _STEP.match(field)
    return f"{first}/{match[1]}" if match else field


def _weekdays(field: str) -> str | None:
    """Day-of-week numbers (0 and 7 are Sunday) as names, which EventBridge numbers differently."""
    names = []
    for part in field.split(","):
        low, _, high = part.partition("-")
        if not low.isdigit():
            if any(c.isdigit() for c in part) or "/" in part:
                return None
            names.append(part)  # already names
            continue
        if not high:
            names.append(_DAYS[int(low) % 7])
            continue
        if not high.isdigit():
            return None
        first, last = int(low), int(high)
        if first > last:
            return None
        names += [_DAYS[n % 7] for n in range(first, last + 1)]
    return ",".join(dict.fromkeys(names))


class EventBridgeTriggerWakes:
    def __init__(self, session: AwsSession, settings: AwsSettings) -> None:
        self._session = session
        self._settings = settings

    def set(self, namespace: str, flow_id: str, wakes: Sequence[Wake]) -> None:
        prefix = _prefix(namespace, flow_id)
        wanted: dict[str, tuple[str, str, str]] = {}
        for wake in wakes:
            tick = Tick(namespace, flow_id, wake.trigger_id, TickMode.CLOCK)
            body = json.dumps(tick_body(tick, SCHEDULED_TIME))
            trigger = _digest(wake.trigger_id, 16)
            if isinstance(wake.dates, Interval):
                wanted[f"{prefix}{trigger}"] = (every(wake.dates), "UTC", body)
            elif isinstance(wake.dates, OnDates):
                for date in wake.dates.dates:
                    at = date.astimezone(UTC)
                    wanted[f"{prefix}{trigger}-{int(at.timestamp())}"] = (
                        f"at({at:%Y-%m-%dT%H:%M:%S})",
                        "UTC",
                        body,
                    )
            else:
                wanted[f"{prefix}{trigger}"] = (aws_expression(wake.dates), wake.dates.zone.key, body)
        existing = self._existing(prefix)
        for name, (expression, zone, body) in wanted.items():
            self._put(name, expression, zone, body, update=name in existing)
        scheduler = self._session.scheduler
        for name in existing - wanted.keys():
            scheduler.delete_schedule(Name=name, GroupName=self._settings.schedule_group)

    def _put(self, name: str, expression: str, zone: str, body: str, *, update: bool) -> None:
        target: TargetTypeDef = {
            "Arn": self._settings.timer_queue_arn,
            "RoleArn": self._settings.scheduler_role_arn,
            "Input": body,
        }
        scheduler = self._session.scheduler
        arguments = {
            "Name": name,
            "GroupName": self._settings.schedule_group,
            "ScheduleExpression": expression,
            "ScheduleExpressionTimezone": zone,
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": target,
        }
        if expression.startswith("at("):
            arguments["ActionAfterCompletion"] = "DELETE"
        if update:
            scheduler.update_schedule(**arguments)  # type: ignore[arg-type]
        else:
            scheduler.create_schedule(**arguments)  # type: ignore[arg-type]

    def _existing(self, prefix: str) -> frozenset[str]:
        scheduler = self._session.scheduler
        names: frozenset[str] = frozenset()
        token = ""
        while True:
            group = self._settings.schedule_group
            page = (
                scheduler.list_schedules(GroupName=group, NamePrefix=prefix, NextToken=token)
                if token
                else scheduler.list_schedules(GroupName=group, NamePrefix=prefix)
            )
            names |= {s["Name"] for s in page.get("Schedules", []) if "Name" in s}
            token = page.get("NextToken", "")
            if not token:
                return names


def _prefix(namespace: str, flow_id: str) -> str:
    # Schedule names hold 64 characters: the flow and the trigger as digests.
    return f"trigger-{_digest(f'{namespace}/{flow_id}', 24)}-"


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]
