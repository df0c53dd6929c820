"""Task retries (spec part 2 §2): which policy applies to a failed task run, and when it runs again."""

from __future__ import annotations

from datetime import datetime, timedelta

from engine.flow.graph import FlowGraph
from engine.model.durations import parse_duration
from engine.model.execution import TaskRun
from engine.resources import IdGenerator
from engine.task_api import Retry, TaskBase


def policy_for(graph: FlowGraph, task: TaskBase) -> Retry | None:
    """The task's own `retry`, else the nearest enclosing flowable's, else the flow's."""
    if task.retry is not None:
        return task.retry
    parent = graph.parents.get(task.id)
    while parent is not None:
        if parent.retry is not None:
            return parent.retry
        parent = graph.parents.get(parent.id)
    return graph.flow.retry


def max_attempts(policy: Retry) -> int | None:
    return policy.max_attempts if policy.max_attempts is not None else policy.max_attempt


def _ms(value: str | None, name: str) -> float:
    if value is None:
        raise ValueError(f"retry '{name}' is required")
    return parse_duration(value).total_seconds() * 1000


def delay(policy: Retry, attempts: int, ids: IdGenerator) -> timedelta:
    """The wait before the next attempt, `attempts` having been made (spec §2.3, develop formula)."""
    if policy.type == "constant":
        return timedelta(milliseconds=_ms(policy.interval, "interval"))
    if policy.type == "exponential":
        factor = policy.delay_factor if policy.delay_factor is not None else 2.0
        grown = round(_ms(policy.interval, "interval") * factor ** (attempts - 1))
        return timedelta(milliseconds=min(_ms(policy.max_interval, "maxInterval"), grown))
    low, high = _ms(policy.min_interval, "minInterval"), _ms(policy.max_interval, "maxInterval")
    return timedelta(milliseconds=low + ids.random_below(max(int(high - low), 1)))


def next_attempt_date(
    policy: Retry, attempts: int, last_end: datetime, first_start: datetime, ids: IdGenerator
) -> datetime | None:
    """When attempt `attempts + 1` may start, or None when the policy is exhausted."""
    limit = max_attempts(policy)
    if limit is not None and attempts >= limit:
        return None
    date = last_end + delay(policy, attempts, ids)
    if policy.max_duration is not None and date > first_start + parse_duration(policy.max_duration):
        return None
    return date


def next_retry_date(policy: Retry, run: TaskRun, ids: IdGenerator) -> datetime | None:
    """RETRY_FAILED_TASK: the same task run gets another attempt."""
    if not run.attempts:
        return None
    first, last = run.attempts[0].state, run.attempts[-1].state
    return next_attempt_date(
        policy, len(run.attempts), last.end_date or last.start_date, first.start_date, ids
    )
