"""Replay and restart with a revision (spec part 2 §14.1–14.2): new executions made from old ones."""

from __future__ import annotations

import pytest

from engine.creation.inputs import InvalidInputsError
from engine.executor.replay import ReplayError
from engine.memory.runner import InMemoryRunner
from engine.model.execution import Execution
from infra.embedded.local import LocalKite

FLOW = """
id: replayed
namespace: demo
inputs:
  - {id: who, type: STRING, defaults: world}
  - {id: n, type: INT, defaults: 1}
tasks:
  - id: a
    type: io.kestra.plugin.core.debug.Return
    format: "a {{ inputs.who }}"
  - id: seq
    type: io.kestra.plugin.core.flow.Sequential
    tasks:
      - id: b
        type: io.kestra.plugin.core.debug.Return
        format: "{{ (labels.system.replay ?? 'no') == 'true' ? 'b ' ~ outputs.a.value : missing }}"
  - id: c
    type: io.kestra.plugin.core.debug.Return
    format: "c after {{ outputs.b.value }}"
"""


def _runs(execution: Execution) -> dict[str, tuple[str, int]]:
    return {r.task_id: (r.state.current.value, len(r.attempts)) for r in execution.task_runs}


@pytest.fixture
def runner() -> InMemoryRunner:
    runner = InMemoryRunner()
    runner.deploy(FLOW)
    return runner


def _failed(runner: InMemoryRunner) -> Execution:
    execution = runner.run("demo", "replayed")
    assert execution.state.current == "FAILED"
    return execution


def test_replay_from_the_start_is_a_new_execution(runner: InMemoryRunner) -> None:
    source = _failed(runner)
    started = runner.services.executions.replay(source.id)
    runner.drain()
    replayed = runner.services.executions.get(started.id)
    assert replayed.id != source.id
    assert (replayed.parent_id, replayed.original_id) == (source.id, source.id)
    assert replayed.metadata.attempt_number == 2
    assert replayed.label_map()["system.replay"] == "true"
    assert replayed.inputs == {"who": "world", "n": 1}
    assert replayed.state.current == "SUCCESS"
    assert _runs(replayed) == {
        "a": ("SUCCESS", 1),
        "seq": ("SUCCESS", 1),
        "b": ("SUCCESS", 1),
        "c": ("SUCCESS", 1),
    }
    assert runner.services.executions.get(source.id).state.current == "FAILED"  # the source is untouched


def test_replay_from_a_task_run_keeps_what_ran_before_it(runner: InMemoryRunner) -> None:
    source = _failed(runner)
    b = source.task_runs.of_task("b")[0]
    started = runner.services.executions.replay(source.id, task_run_id=b.id)
    assert started.state.current == "RESTARTED"
    assert [h.state.value for h in started.state.histories] == ["CREATED", "RUNNING", "FAILED", "RESTARTED"]
    runner.drain()
    replayed = runner.services.executions.get(started.id)
    assert replayed.state.current == "SUCCESS"
    # `a` is copied, not run again; `b` kept its failed attempt and got a new one; `c` ran for the first time.
    assert _runs(replayed) == {
        "a": ("SUCCESS", 1),
        "seq": ("SUCCESS", 1),
        "b": ("SUCCESS", 2),
        "c": ("SUCCESS", 1),
    }
    assert replayed.task_runs.of_task("a")[0].id != source.task_runs.of_task("a")[0].id
    assert replayed.task_runs.of_task("c")[0].outputs == {"value": "c after b a world"}
    seq = replayed.task_runs.of_task("seq")[0]
    assert replayed.task_runs.of_task("b")[0].parent_task_run_id == seq.id


def test_replay_with_new_inputs_validates_them(runner: InMemoryRunner) -> None:
    source = _failed(runner)
    started = runner.services.executions.replay(source.id, inputs={"who": "kite"})
    runner.drain()
    assert runner.services.executions.get(started.id).task_runs.of_task("c")[0].outputs == {
        "value": "c after b a kite"
    }
    with pytest.raises(InvalidInputsError):
        runner.services.executions.replay(source.id, inputs={"n": "abc"})
    with pytest.raises(ReplayError, match="not found"):
        runner.services.executions.replay(source.id, task_run_id="nope")


FIXED = FLOW.replace("'b ' ~ outputs.a.value : missing", "'b ' ~ outputs.a.value : 'b fixed'")


def test_restart_with_a_revision_runs_a_new_execution_of_that_revision() -> None:
    with LocalKite() as kite:
        kite.deploy(FLOW)
        source = kite.run("demo", "replayed")
        assert source.state.current == "FAILED"
        kite.deploy(FIXED)
        started = kite.services.executions.restart(source.id, revision=2)
        restarted = kite.wait(started.id)
        unchanged = kite.services.executions.get(source.id)
    assert restarted.id != source.id
    assert (restarted.parent_id, restarted.flow_revision) == (source.id, 2)
    assert restarted.state.current == "SUCCESS"
    assert restarted.label_map()["system.restarted"] == "true"
    assert _runs(restarted) == {
        "a": ("SUCCESS", 1),
        "seq": ("SUCCESS", 1),
        "b": ("SUCCESS", 2),
        "c": ("SUCCESS", 1),
    }
    assert restarted.task_runs.of_task("b")[0].outputs == {"value": "b fixed"}
    assert unchanged.state.current == "FAILED"
