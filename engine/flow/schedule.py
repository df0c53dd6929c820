"""The Schedule trigger's dates (spec part 1 §9.2): a cron in a time zone, its next and previous dates as
Kestra computes them, and what `trigger.*` shows of a date.

croniter gives the candidate dates; two rules make them Kestra's (cron-utils'): a wall-clock time inside a
spring-forward gap does not fire that day (croniter would fire at the end of the gap), and in an autumn
overlap a cron slower than hourly fires once, at the first offset (croniter would fire twice).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from msgspec import Struct

from engine.model.durations import parse_duration

SCHEDULE_TYPES = frozenset(
    {"io.kestra.plugin.core.trigger.Schedule", "io.kestra.core.models.triggers.types.Schedule"}
)
ON_DATES_TYPES = frozenset({"io.kestra.plugin.core.trigger.ScheduleOnDates"})
# Polling triggers: evaluated every `interval`; an evaluation whose condition holds starts an execution.
HTTP_POLLING_TYPES = frozenset({"io.kestra.plugin.core.http.Trigger", "io.kestra.plugin.fs.http.Trigger"})
S3_POLLING_TYPES = frozenset({"io.kestra.plugin.aws.s3.Trigger"})
POLLING_TYPES = HTTP_POLLING_TYPES | S3_POLLING_TYPES
SCHEDULED_TYPES = SCHEDULE_TYPES | ON_DATES_TYPES | POLLING_TYPES
NICKNAMES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
# Far enough to find the next date of any valid cron (a 29 February on a Monday is 28 years away at most).
_SEARCH = 2000


RECOVERIES = ("ALL", "LAST", "NONE")


class ScheduleError(ValueError):
    """A cron or a time zone Kestra would refuse."""


def dates_of(kind: str, properties: Mapping[str, Any]) -> Dates | None:
    """The dates of a trigger of type `kind` (None: not a schedule); raises ScheduleError."""
    if kind in POLLING_TYPES:
        if kind in HTTP_POLLING_TYPES and not properties.get("uri"):
            raise ScheduleError("an HTTP trigger needs a uri")
        if kind in S3_POLLING_TYPES and not (properties.get("bucket") and properties.get("action")):
            raise ScheduleError("an S3 trigger needs a bucket and an action (MOVE, DELETE or NONE)")
        return Interval.parse(properties.get("interval"))
    if kind in ON_DATES_TYPES:
        return OnDates.parse(properties.get("dates"), properties.get("timezone"))
    if kind in SCHEDULE_TYPES:
        return Cron.parse(
            str(properties.get("cron", "")),
            properties.get("timezone"),
            with_seconds=bool(properties.get("withSeconds")),
        )
    return None


def recovery(kind: str, properties: Mapping[str, Any]) -> str:
    """`recoverMissedSchedules`, ALL unless said otherwise (Kestra's global default); a polling trigger
    never makes up for evaluations it missed."""
    if kind in POLLING_TYPES:
        return "NONE"
    return str(properties.get("recoverMissedSchedules") or "ALL")


def validate_schedule(kind: str, properties: Mapping[str, Any]) -> None:
    dates_of(kind, properties)
    legacy = properties.get("backfill")
    if legacy is not None:
        start = legacy.get("start") if isinstance(legacy, Mapping) else None
        try:
            datetime.fromisoformat(str(start)) if not isinstance(start, datetime) else start
        except ValueError:
            raise ScheduleError(f"backfill.start '{start}' is not an ISO-8601 date-time") from None
    delay = properties.get("lateMaximumDelay")
    if delay is not None:
        try:
            parse_duration(str(delay))
        except ValueError:
            raise ScheduleError(f"lateMaximumDelay '{delay}' is not an ISO-8601 duration") from None
    if recovery(kind, properties) not in RECOVERIES:
        raise ScheduleError(
            f"recoverMissedSchedules must be one of {', '.join(RECOVERIES)}, "
            f"got '{properties.get('recoverMissedSchedules')}'"
        )


class Cron(Struct, frozen=True):
    expression: str
    zone: ZoneInfo
    with_seconds: bool = False

    @staticmethod
    def parse(text: str, timezone: str | None = None, *, with_seconds: bool = False) -> Cron:
        expression = NICKNAMES.get(text.strip().lower(), text.strip())
        fields = expression.split()
        wanted = 6 if with_seconds else 5
        if len(fields) != wanted:
            raise ScheduleError(
                f"Invalid cron expression '{text}': {wanted} fields expected, got {len(fields)}"
            )
        try:
            zone = ZoneInfo(timezone or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            raise ScheduleError(f"Unknown time zone '{timezone}'") from None
        cron = Cron(expression, zone, with_seconds)
        if not _croniter().is_valid(expression, second_at_beginning=with_seconds):
            raise ScheduleError(f"Invalid cron expression '{text}'")
        return cron

    def next(self, after: datetime) -> datetime:
        """The first date strictly after `after`, in the cron's zone."""
        return next(self._dates(after, forward=True))

    def previous(self, before: datetime) -> datetime:
        """The last date strictly before `before`."""
        return next(self._dates(before, forward=False))

    def upcoming(self, after: datetime, count: int) -> list[datetime]:
        found: list[datetime] = []
        for date in self._dates(after, forward=True):
            if len(found) == count:
                break
            found.append(date)
        return found

    def _dates(self, start: datetime, *, forward: bool) -> Iterator[datetime]:
        iterator = _croniter()(
            self.expression,
            start.astimezone(self.zone),
            ret_type=datetime,
            is_prev=not forward,
            second_at_beginning=self.with_seconds,
        )
        for _ in range(_SEARCH):
            candidate: datetime = iterator.get_next(datetime) if forward else iterator.get_prev(datetime)
            candidate = candidate.astimezone(self.zone)
            if self._in_gap(candidate) or self._repeated(candidate):
                continue
            yield candidate
        raise ScheduleError(f"No date of '{self.expression}' within {_SEARCH} tries")

    def _in_gap(self, date: datetime) -> bool:
        """croniter moved a time that does not exist that day (spring forward) to the end of the gap: the
        wall-clock time it landed on is not one the cron names."""
        local = date.replace(tzinfo=None)
        return not _croniter().match(self.expression, local, second_at_beginning=self.with_seconds)

    def _repeated(self, date: datetime) -> bool:
        """The second occurrence of a wall-clock time that autumn repeats, for a cron slower than hourly."""
        first = date.replace(fold=0).astimezone(UTC)
        if first == date.astimezone(UTC):
            return False
        after = _croniter()(
            self.expression, date, ret_type=datetime, second_at_beginning=self.with_seconds
        ).get_next(datetime)
        return bool(after - date > timedelta(hours=1))


def _croniter() -> Any:  # croniter is untyped
    # Imported by the first cron read (11 ms with dateutil): a process whose flows have no schedule never
    # pays it.
    from croniter import croniter

    return croniter


def iso(date: datetime) -> str:
    """A date as Kestra shows a ZonedDateTime: ISO-8601 with its offset."""
    return date.isoformat()


def trigger_variables(dates: Dates, date: datetime) -> dict[str, Any]:
    """`trigger.date`, `trigger.next`, `trigger.previous` of the execution for `date` (null when there is
    none: the last of a ScheduleOnDates list)."""
    following, preceding = dates.next(date), dates.previous(date)
    return {
        "date": iso(date),
        "next": iso(following) if following else None,
        "previous": iso(preceding) if preceding else None,
    }


class OnDates(Struct, frozen=True):
    """ScheduleOnDates: a list of dates, in a time zone when they carry no offset."""

    dates: tuple[datetime, ...]

    @staticmethod
    def parse(values: Any, timezone: str | None = None) -> OnDates:
        if not isinstance(values, list) or not values:
            raise ScheduleError("ScheduleOnDates needs a non-empty list of dates")
        try:
            zone = ZoneInfo(timezone or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            raise ScheduleError(f"Unknown time zone '{timezone}'") from None
        parsed = []
        for value in values:
            try:
                date = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
            except ValueError:
                raise ScheduleError(f"'{value}' is not an ISO-8601 date-time") from None
            parsed.append(date if date.tzinfo is not None else date.replace(tzinfo=zone))
        return OnDates(tuple(sorted(parsed)))

    def next(self, after: datetime) -> datetime | None:
        return next((d for d in self.dates if d > after), None)

    def previous(self, before: datetime) -> datetime | None:
        return next((d for d in reversed(self.dates) if d < before), None)

    def upcoming(self, start: datetime, count: int) -> list[datetime]:
        return [d for d in self.dates if d > start][:count]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Interval(Struct, frozen=True):
    """A polling trigger's evaluations: every `every`, counted from the epoch (so that every process finds
    the same dates)."""

    every: timedelta

    @staticmethod
    def parse(value: Any) -> Interval:
        try:
            every = parse_duration(str(value)) if value is not None else timedelta(seconds=60)
        except ValueError:
            raise ScheduleError(f"interval '{value}' is not an ISO-8601 duration") from None
        if every < timedelta(seconds=1):
            raise ScheduleError(f"interval {value} is shorter than a second")
        return Interval(every)

    def next(self, after: datetime) -> datetime:
        return _EPOCH + ((after - _EPOCH) // self.every + 1) * self.every

    def previous(self, before: datetime) -> datetime:
        steps, rest = divmod(before - _EPOCH, self.every)
        return _EPOCH + (steps if rest else steps - 1) * self.every

    def upcoming(self, start: datetime, count: int) -> list[datetime]:
        found = [self.next(start)]
        while len(found) < count:
            found.append(found[-1] + self.every)
        return found[:count]


Dates = Cron | OnDates | Interval
