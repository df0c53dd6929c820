"""A Schedule trigger's dates seen through its conditions (spec part 1 §9.2): which conditions skip a date,
and `trigger.next`/`trigger.previous` as the nearest dates they let through. The scheduler and `kite
schedule` both read a trigger this way."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from msgspec import Struct

from engine.creation.conditions import ConditionContext, ConditionError, evaluate
from engine.expressions import Renderer, RenderServices
from engine.flow.schedule import Dates, iso, trigger_variables

# How many dates `trigger.next` and `trigger.previous` look through for one the conditions let pass.
NEIGHBOUR_SEARCH = 400


class ScheduleView(Struct, frozen=True):
    dates: Dates
    conditions: Sequence[Any]
    renderer: Renderer
    variables: Mapping[str, Any]  # what else expressions see (the configured globals)
    services: RenderServices | None = None

    def skipped_by(self, date: datetime) -> list[str]:
        """The conditions that skip `date` (by their short type names), or why one cannot tell."""
        values = trigger_variables(self.dates, date)
        context = ConditionContext({**self.variables, "trigger": values}, self.renderer, self.services)
        reasons = []
        for condition in self.conditions:
            try:
                if not evaluate(condition, context):
                    reasons.append(str(condition.get("type", "?")).rsplit(".", 1)[-1])
            except ConditionError as exc:
                reasons.append(f"cannot tell: {exc}")
        return reasons

    def neighbour(self, date: datetime, *, forward: bool) -> datetime | None:
        """The nearest date after (or before) `date` that no condition skips; None when there is none
        within NEIGHBOUR_SEARCH dates."""
        step: Callable[[datetime], datetime | None] = self.dates.next if forward else self.dates.previous
        current: datetime | None = date
        for _ in range(NEIGHBOUR_SEARCH):
            current = step(current) if current is not None else None
            if current is None:
                return None
            if not self.conditions or not self.skipped_by(current):
                return current
        return None

    def trigger_variables(self, date: datetime) -> dict[str, Any]:
        """`trigger.*` of the execution for `date`: next and previous skip what the conditions skip."""
        following, preceding = self.neighbour(date, forward=True), self.neighbour(date, forward=False)
        return {
            "date": iso(date),
            "next": iso(following) if following else None,
            "previous": iso(preceding) if preceding else None,
        }
