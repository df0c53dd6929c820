"""`kite schedule FLOW.yaml`: the next firing dates of a flow's Schedule triggers, with what `trigger.*`
each execution would see and which conditions skip a date (something Kestra does not show)."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from engine.config import EngineConfig
from engine.creation.schedule_view import ScheduleView
from engine.creation.trigger_states import extra
from engine.expressions import Renderer
from engine.flow.loader import InvalidFlowError
from engine.flow.model import Trigger
from engine.flow.schedule import ON_DATES_TYPES, SCHEDULE_TYPES, Cron, OnDates, ScheduleError, dates_of
from infra.cli.common import EXIT_OK, EXIT_USAGE, UsageError, parse_source, read_source


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    schedule = commands.add_parser(
        "schedule", help="print the next firing dates of a flow's Schedule triggers"
    )
    schedule.add_argument("flow", type=Path, metavar="FLOW.yaml")
    schedule.add_argument("--trigger", metavar="ID", help="only this trigger")
    schedule.add_argument("--count", type=int, default=5, help="how many dates (default 5)")
    schedule.add_argument(
        "--from", dest="start", metavar="DATE", help="after this ISO-8601 date (default now)"
    )
    schedule.set_defaults(command=schedule_command)


def schedule_command(args: argparse.Namespace) -> int:
    if not args.flow.is_file():
        raise UsageError(f"no such file: {args.flow}")
    try:
        flow = parse_source(read_source(args.flow), str(args.flow))
    except InvalidFlowError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    start = _start(args.start)
    triggers = [t for t in flow.triggers or () if t.type in SCHEDULE_TYPES | ON_DATES_TYPES]
    if args.trigger is not None:
        triggers = [t for t in triggers if t.id == args.trigger]
    if not triggers:
        raise UsageError(f"{args.flow}: no Schedule trigger" + (f" '{args.trigger}'" if args.trigger else ""))
    renderer = Renderer()
    config = EngineConfig.from_environ(os.environ)
    for trigger in triggers:
        try:
            _print(trigger, start, max(args.count, 0), renderer, config.variables())
        except ScheduleError as exc:
            print(f"kite: trigger {trigger.id}: {exc}", file=sys.stderr)
            return EXIT_USAGE
    return EXIT_OK


def _start(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        start = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--from must be an ISO-8601 date-time, got '{text}'") from None
    return start if start.tzinfo is not None else start.replace(tzinfo=UTC)


def _print(
    trigger: Trigger, start: datetime, count: int, renderer: Renderer, variables: dict[str, object]
) -> None:
    properties = extra(trigger)
    dates = dates_of(trigger.type, properties)
    assert dates is not None  # only schedules are printed
    if isinstance(dates, Cron):
        described = f"{dates.expression} in {dates.zone.key}"
    elif isinstance(dates, OnDates):
        described = f"{len(dates.dates)} dates"
    else:
        described = f"every {dates.every}"
    disabled = " (disabled)" if trigger.disabled else ""
    print(f"{trigger.id}: {described}{disabled}")
    view = ScheduleView(dates, list(properties.get("conditions") or ()), renderer, variables)
    for date in dates.upcoming(start, count):
        skipped = view.skipped_by(date)
        verdict = f"  skipped by {', '.join(skipped)}" if skipped else ""
        values = view.trigger_variables(date)
        following, preceding = values["next"] or "none", values["previous"] or "none"
        print(f"  {values['date']}  next {following}  previous {preceding}{verdict}")
