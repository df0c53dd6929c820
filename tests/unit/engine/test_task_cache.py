"""Task cache (spec part 2 §11): outputs reused across executions until the TTL expires."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.memory.runner import InMemoryRunner
from engine.model.execution import Execution

FLOW = """
id: cached
namespace: demo
inputs:
  - {id: day, type: STRING, defaults: monday}
  - {id: fail, type: BOOLEAN, defaults: false}
tasks:
  - id: expensive
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.fail ? missing : 'computed for ' ~ inputs.day ~ ' in ' ~ execution.id }}"
    taskCache: {enabled: true, ttl: PT1H}
"""
# The key is the *rendered* definition: `execution.id` in it would make every run a miss.
KEYED_BY_DAY = FLOW.replace("' in ' ~ execution.id", "' at ' ~ flow.id")


@pytest.fixture
def runner() -> InMemoryRunner:
    runner = InMemoryRunner()
    runner.deploy(KEYED_BY_DAY)
    return runner


def expensive(execution: Execution) -> tuple[str, int, object]:
    run = execution.task_runs.of_task("expensive")[0]
    return run.state.current.value, len(run.attempts), run.outputs.get("value")


def messages(runner: InMemoryRunner, execution: Execution) -> list[str]:
    return [entry.message for entry in runner.services.executions.logs(execution.id)]


def test_the_same_rendered_task_is_not_run_again(runner: InMemoryRunner) -> None:
    first = runner.run("demo", "cached", {"day": "monday"})
    assert "Uploading a cache entry for task 'expensive'" in messages(runner, first)
    second = runner.run("demo", "cached", {"day": "monday"})
    assert expensive(second) == ("SUCCESS", 1, "computed for monday at cached")
    assert (
        "Skipping task execution for task 'expensive' as there is an existing cache entry for it"
        in messages(runner, second)
    )
    run = second.task_runs.of_task("expensive")[0]
    assert [h.state.value for h in run.state.histories][-2:] == ["RUNNING", "SUCCESS"]
    assert [h.state.value for h in run.attempts[0].state.histories] == ["SUCCESS"]  # never ran


def test_a_different_rendering_or_an_expired_entry_runs_again(runner: InMemoryRunner) -> None:
    runner.run("demo", "cached", {"day": "monday"})
    other = runner.run("demo", "cached", {"day": "tuesday"})
    assert "Skipping" not in " ".join(messages(runner, other))
    runner.clock.advance(timedelta(hours=1, seconds=1))
    expired = runner.run("demo", "cached", {"day": "monday"})
    assert "Uploading a cache entry for task 'expensive'" in messages(runner, expired)


def test_a_failed_run_is_not_cached(runner: InMemoryRunner) -> None:
    failed = runner.run("demo", "cached", {"fail": True})
    assert failed.state.current == "FAILED"
    assert "Uploading" not in " ".join(messages(runner, failed))


def test_per_execution_values_in_the_definition_always_miss() -> None:
    runner = InMemoryRunner()
    runner.deploy(FLOW)
    runner.run("demo", "cached")
    second = runner.run("demo", "cached")
    assert "Skipping" not in " ".join(messages(runner, second))


def test_a_key_that_cannot_be_rendered_runs_the_task_uncached() -> None:
    runner = InMemoryRunner()
    runner.deploy(
        KEYED_BY_DAY.replace(
            "taskCache: {enabled: true", "description: '{{ nope }}'\n    taskCache: {enabled: true"
        )
    )
    execution = runner.run("demo", "cached")
    assert execution.state.current == "SUCCESS"
    assert "Unable to create the cache key for the task 'expensive'" in messages(runner, execution)
