"""The trigger condition types Kite evaluates, by the names Kestra gives them: checked when a flow is saved,
so that an unknown or misspelt type is an error there rather than at its first evaluation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Where Kestra's core conditions live, now and before 0.17 (legacy names end in `Condition`).
PACKAGES = frozenset({"io.kestra.plugin.core.condition", "io.kestra.core.models.conditions.types"})
CONDITION_NAMES = frozenset(
    {
        "PublicHoliday",
        "DayWeek",
        "DayWeekInMonth",
        "Weekend",
        "DateTimeBetween",
        "TimeBetween",
        "Expression",
        "ExecutionStatus",
        "ExecutionFlow",
        "ExecutionNamespace",
        "ExecutionLabels",
        "ExecutionOutputs",
        "Flow",
        "FlowNamespace",
        "Not",
        "Or",
    }
)
# Several flows' ends in a window: a Flow trigger's alone (engine/creation/flow_trigger.py).
MULTIPLE = "Multiple"
FLOW_TRIGGER_TYPES = frozenset(
    {"io.kestra.plugin.core.trigger.Flow", "io.kestra.core.models.triggers.types.Flow"}
)


def condition_name(kind: str) -> str | None:
    """The short name of a core condition type (`...Condition` legacy names too), None for another."""
    package, _, name = kind.rpartition(".")
    return name.removesuffix("Condition") if package in PACKAGES else None


def condition_problems(conditions: Any, *, multiple: bool) -> list[str]:
    """What is wrong with a trigger's `conditions` (a list, or a map of named ones); `multiple`: a
    MultipleCondition may be among them."""
    items = conditions.values() if isinstance(conditions, Mapping) else conditions or ()
    problems = []
    for condition in items:
        kind = condition.get("type") if isinstance(condition, Mapping) else None
        if not isinstance(kind, str):
            problems.append(f"a condition must be a map with a type, got {condition!r}")
            continue
        name = condition_name(kind)
        if (name == MULTIPLE and multiple) or name in ("Not", "Or"):
            problems += condition_problems(condition.get("conditions"), multiple=False)
        elif name not in CONDITION_NAMES:
            problems.append(f"condition type {kind} is not one Kite evaluates")
    return problems
