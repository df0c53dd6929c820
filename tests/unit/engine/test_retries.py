"""Retry policies (spec part 2 §2): resolution, delays, limits, and what a retried run looks like."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.flow.graph import FlowGraph
from engine.flow.loader import parse_flow
from engine.memory import RandomIds
from engine.memory.runner import InMemoryRunner
from engine.ports import QueueName
from engine.runtime.retries import delay, next_attempt_date, policy_for
from engine.task_api import Retry

T0 = datetime(2026, 1, 1, tzinfo=UTC)
IDS = RandomIds(random.Random(1))


def retry(**fields: Any) -> Retry:
    return Retry.model_validate(fields)


@pytest.mark.parametrize(
    ("policy", "delays"),
    [
        (retry(type="constant", interval="PT5S"), [5, 5, 5]),
        (retry(type="exponential", interval="PT1S", maxInterval="PT10S"), [1, 2, 4, 8, 10, 10]),
        (retry(type="exponential", interval="PT1S", maxInterval="PT1M", delayFactor=3), [1, 3, 9, 27, 60]),
    ],
)
def test_delays(policy: Retry, delays: list[int]) -> None:
    assert [delay(policy, n, IDS).total_seconds() for n in range(1, len(delays) + 1)] == delays


def test_random_delays_stay_in_bounds() -> None:
    policy = retry(type="random", minInterval="PT1S", maxInterval="PT2S")
    seen = {delay(policy, 1, IDS) for _ in range(200)}
    assert all(timedelta(seconds=1) <= d < timedelta(seconds=2) for d in seen)
    assert len(seen) > 50


@pytest.mark.parametrize(
    ("fields", "attempts", "expected"),
    [
        ({"maxAttempts": 3}, 2, T0 + timedelta(seconds=10)),
        ({"maxAttempts": 3}, 3, None),  # maxAttempts counts the first attempt
        ({"maxAttempt": 2}, 2, None),  # the deprecated spelling still counts
        ({"maxDuration": "PT10S"}, 1, T0 + timedelta(seconds=10)),
        ({"maxDuration": "PT9S"}, 1, None),
        ({}, 1000, T0 + timedelta(seconds=10)),  # neither bound: unbounded
    ],
)
def test_limits(fields: dict[str, Any], attempts: int, expected: datetime | None) -> None:
    policy = retry(type="constant", interval="PT10S", **fields)
    assert next_attempt_date(policy, attempts, T0, T0, IDS) == expected


def test_the_nearest_policy_wins() -> None:
    flow = parse_flow(
        """
id: p
namespace: demo
retry: {type: constant, interval: PT3S}
tasks:
  - id: outer
    type: io.kestra.plugin.core.flow.Sequential
    retry: {type: constant, interval: PT2S}
    tasks:
      - id: own
        type: io.kestra.plugin.core.log.Log
        message: x
        retry: {type: constant, interval: PT1S}
      - id: inherits
        type: io.kestra.plugin.core.log.Log
        message: x
  - id: top
    type: io.kestra.plugin.core.log.Log
    message: x
"""
    )
    graph = FlowGraph.of(flow)
    intervals = {t: policy_for(graph, graph.task(t)).interval for t in ("own", "inherits", "top")}  # type: ignore[union-attr]
    assert intervals == {"own": "PT1S", "inherits": "PT2S", "top": "PT3S"}


def test_a_retried_run_keeps_its_attempts_and_history() -> None:
    runner = InMemoryRunner()
    runner.deploy(
        """
id: flaky
namespace: demo
tasks:
  - id: flaky
    type: io.kestra.plugin.core.log.Log
    message: "{{ taskrun.attemptsCount == 2 ? 'ok' : ko }}"
    retry: {type: exponential, interval: PT1S, maxInterval: PT30S, maxAttempts: 4, warningOnRetry: true}
"""
    )
    execution = runner.run("demo", "flaky")
    run = next(iter(execution.task_runs))
    assert execution.state.current == "WARNING"
    assert [a.state.current.value for a in run.attempts] == ["FAILED", "FAILED", "SUCCESS"]
    assert [h.state.value for h in run.state.histories] == [
        "CREATED", "SUBMITTED", "RUNNING", "FAILED", "RETRYING",
        "CREATED", "SUBMITTED", "RUNNING", "FAILED", "RETRYING",
        "CREATED", "SUBMITTED", "RUNNING", "WARNING",
    ]  # fmt: skip
    starts = [a.state.start_date for a in run.attempts]
    assert [(b - a).total_seconds() for a, b in itertools.pairwise(starts)] == [1, 2]
    assert [h.state.value for h in execution.state.histories] == [
        "CREATED", "RUNNING", "RETRYING", "RUNNING", "RETRYING", "RUNNING", "WARNING",
    ]  # fmt: skip


def test_allow_failure_waits_for_the_last_attempt() -> None:
    runner = InMemoryRunner()
    runner.deploy(
        """
id: tolerant
namespace: demo
tasks:
  - id: failing
    type: io.kestra.plugin.core.execution.Fail
    allowFailure: true
    retry: {type: constant, interval: PT1S, maxAttempts: 2}
  - id: next
    type: io.kestra.plugin.core.log.Log
    message: after
"""
    )
    execution = runner.run("demo", "tolerant")
    failing, after = list(execution.task_runs)
    assert [a.state.current.value for a in failing.attempts] == ["FAILED", "FAILED"]
    assert failing.state.current == "WARNING"
    assert after.state.current == "SUCCESS"
    assert execution.state.current == "WARNING"


def _chain_runner(max_attempts: int) -> InMemoryRunner:
    runner = InMemoryRunner()
    runner.deploy(
        f"""
id: chain
namespace: demo
tasks:
  - id: fail
    type: io.kestra.plugin.core.execution.Fail
    retry: {{type: constant, interval: PT1M, maxAttempts: {max_attempts}, behavior: CREATE_NEW_EXECUTION}}
"""
    )
    return runner


def test_create_new_execution_chains_executions() -> None:
    runner = _chain_runner(max_attempts=3)
    first = runner.run("demo", "chain")
    chain = sorted(runner.store.search("demo", "chain"), key=lambda e: e.metadata.attempt_number)
    assert [e.state.current.value for e in chain] == ["RETRIED", "RETRIED", "FAILED"]
    assert [e.metadata.attempt_number for e in chain] == [1, 2, 3]
    assert chain[0].id == first.id
    assert [e.parent_id for e in chain] == [None, chain[0].id, chain[1].id]
    assert {e.original_id for e in chain} == {first.id}
    assert all(e.label_map().get("system.replay") == "true" for e in chain[1:])
    assert (chain[1].state.start_date - chain[0].state.end_date).total_seconds() == 60  # type: ignore[operator]
    first_run = next(iter(runner.services.executions.get(first.id).task_runs))
    assert first_run.state.current == "RETRIED"


def test_a_start_delivered_twice_creates_one_execution() -> None:
    runner = _chain_runner(max_attempts=2)
    runner.services.executions.create("demo", "chain")
    runner.drain_now()
    [start] = [m for m in runner.bus.sent[QueueName.TIMER] if m.body.get("kind") == "StartExecution"]
    runner.bus.send([start])
    runner.drain()
    states = sorted(e.state.current.value for e in runner.store.search("demo", "chain"))
    assert states == ["FAILED", "RETRIED"]
