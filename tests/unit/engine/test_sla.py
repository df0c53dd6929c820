"""Workflow SLAs (spec part 2 §8) through the in-memory pipeline."""

from __future__ import annotations

import pytest

from engine.memory.runner import InMemoryRunner
from engine.model.execution import Execution

SLEEP = "io.kestra.plugin.core.flow.Sleep"
RETURN = "io.kestra.plugin.core.debug.Return"


def run(sla: str, tasks: str, inputs: dict[str, object] | None = None) -> tuple[InMemoryRunner, Execution]:
    runner = InMemoryRunner()
    runner.deploy(
        "id: watched\nnamespace: demo\ninputs:\n  - {id: mode, type: STRING, defaults: ok}\n"
        f"sla:\n{sla}tasks:\n{tasks}"
        f"errors:\n  - {{id: handler, type: {RETURN}, format: never}}\n"
        f"finally:\n  - {{id: last, type: {RETURN}, format: never}}\n"
        f"afterExecution:\n  - {{id: audit, type: {RETURN}, format: '{{{{ execution.state }}}}'}}\n"
    )
    return runner, runner.run("demo", "watched", inputs or {})


def states(execution: Execution) -> dict[str, str]:
    return {r.task_id: r.state.current.value for r in execution.task_runs}


def messages(runner: InMemoryRunner, execution: Execution) -> list[str]:
    return [f"{e.level} {e.message}" for e in runner.services.executions.logs(execution.id)]


MAX = "  - {{id: max, type: MAX_DURATION, duration: PT10S, behavior: {behavior}, labels: {{sla: miss}}}}\n"
LONG = f"  - {{id: nap, type: {SLEEP}, duration: PT1M}}\n  - {{id: next, type: {RETURN}, format: x}}\n"


@pytest.mark.parametrize(
    ("behavior", "state", "nap"),
    [("FAIL", "FAILED", "FAILED"), ("CANCEL", "CANCELLED", "CANCELLED"), ("NONE", "SUCCESS", "SUCCESS")],
)
def test_max_duration_ends_the_execution_at_the_deadline(behavior: str, state: str, nap: str) -> None:
    runner, execution = run(MAX.format(behavior=behavior), LONG)
    assert execution.state.current == state
    assert execution.label_map()["sla"] == "miss"
    logs = messages(runner, execution)
    assert (
        "WARN SLA 'max' violated: execution duration of PT10S exceed the maximum duration of PT10S." in logs
    )
    assert ("ERROR Execution failed due to SLA 'max' violated: " in " ".join(logs)) == (behavior == "FAIL")
    if behavior == "NONE":
        assert states(execution) == {
            "nap": "SUCCESS",
            "next": "SUCCESS",
            "last": "SUCCESS",
            "audit": "SUCCESS",
        }
    else:  # the sleeping run takes the SLA's state; nothing else starts but afterExecution
        assert states(execution) == {"nap": nap, "audit": "SUCCESS"}
        assert execution.task_runs.of_task("audit")[0].outputs == {"value": state}
        ended = execution.state.histories[-1].date - execution.state.start_date
        assert ended.total_seconds() == 10


def test_an_execution_that_ends_in_time_is_left_alone() -> None:
    runner, execution = run(MAX.format(behavior="FAIL"), f"  - {{id: quick, type: {RETURN}, format: x}}\n")
    runner.drain()  # the deadline timer fires later and finds the execution over
    execution = runner.services.executions.get(execution.id)
    assert execution.state.current == "SUCCESS"
    assert "sla" not in execution.label_map()


ASSERT = (
    "  - {id: guard, type: EXECUTION_ASSERTION, behavior: CANCEL, assert: \"{{ inputs.mode != 'bad' }}\"}\n"
    "  - {id: tag, type: EXECUTION_ASSERTION, behavior: NONE, assert: \"{{ inputs.mode != 'tag' }}\",\n"
    "     labels: [{key: sla, value: tagged}]}\n"
    '  - {id: broken, type: EXECUTION_ASSERTION, behavior: FAIL, assert: "{{ outputs.nothing.value }}"}\n'
)


@pytest.mark.parametrize(
    ("mode", "state", "label"),
    [("ok", "SUCCESS", None), ("bad", "CANCELLED", None), ("tag", "SUCCESS", "tagged")],
)
def test_execution_assertions_are_checked_on_every_step(mode: str, state: str, label: str | None) -> None:
    runner, execution = run(ASSERT, LONG, {"mode": mode})
    assert execution.state.current == state
    assert execution.label_map().get("sla") == label
    logs = messages(runner, execution)
    # An assertion that cannot be rendered is skipped, and said so (unless an earlier one ended it all).
    ignored = any(line.startswith("ERROR Ignoring SLA 'broken' because of the error:") for line in logs)
    assert ignored == (mode != "bad")
    if mode == "bad":
        assert "WARN SLA 'guard' violated: assertion is false: {{ inputs.mode != 'bad' }}." in logs
        assert states(execution) == {"audit": "SUCCESS"}  # checked as it was created: nothing ran


def test_a_restarted_failed_execution_is_late_at_once() -> None:
    runner, execution = run(MAX.format(behavior="FAIL"), LONG)
    runner.services.executions.restart(execution.id)
    runner.drain()
    restarted = runner.services.executions.get(execution.id)
    assert restarted.state.current == "FAILED"
    assert [h.state.value for h in restarted.state.histories][-3:] == ["RESTARTED", "RUNNING", "FAILED"]
