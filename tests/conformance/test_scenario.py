"""Scenario steps end to end on cases written here: the memory backend for most, moto for the clock."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conformance.checks import Status
from tests.conformance.run import Outcome, run_case

NAMESPACE = "io.kite.conformance"
ASKING = f"""\
id: asking
namespace: {NAMESPACE}
tasks:
  - id: pause
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: asked
        type: STRING
  - id: last
    type: io.kestra.plugin.core.debug.Return
    format: "got {{{{ outputs.pause.onResume.asked }}}}"
outputs:
  - id: answer
    type: STRING
    value: "{{{{ outputs.last.value }}}}"
"""
TIMED = f"""\
id: timed
namespace: {NAMESPACE}
tasks:
  - id: pause
    type: io.kestra.plugin.core.flow.Pause
    delay: PT10S
  - id: last
    type: io.kestra.plugin.core.debug.Return
    format: done
"""
FLOWS = {"flow.yaml": ASKING, "timed.yaml": TIMED}

# Pauses that end on time: `sleep` moves the virtual clock, and a wait for PAUSED does not pass the timer.
CLOCK: list[dict[str, Any]] = [
    {"run": "t", "flow": f"{NAMESPACE}.timed", "until": "PAUSED", "expect": {"taskRunCount": 1}},
    {"sleep": 5},
    {"check": "t", "expect": {"state": "PAUSED"}},
    {"sleep": 6},
    {"check": "t", "expect": {"state": "SUCCESS", "tasks": {"last": {"outputs": {"value": "done"}}}}},
]
COMMANDS: list[dict[str, Any]] = [
    {"run": "main", "until": "PAUSED", "expect": {"state": "PAUSED", "taskRunCount": 1}},
    {"resume": "main", "inputs": {}, "expectRejected": {"messageContains": "Missing required input:asked"}},
    {"check": "main", "expect": {"state": "PAUSED"}},
    {"resume": "main", "inputs": {"asked": "yes"}},
    {"await": "main", "until": "SUCCESS", "expect": {"outputs": {"answer": "got yes"}}},
    {"run": "second", "until": "PAUSED"},
    {"kill": "second"},
    {"await": "second", "expect": {"state": "KILLED"}},
    {"expectNoExecution": f"{NAMESPACE}.timed"},
    *CLOCK,
    {
        "awaitFlow": f"{NAMESPACE}.asking",
        "count": 2,
        "expect": {
            "states": {"$sameItems": ["SUCCESS", "KILLED"]},
            "outputValues": {"answer": {"$sameItems": ["got yes", None]}},
        },
    },
    {
        "awaitFlow": f"{NAMESPACE}.timed",
        "until": "SUCCESS",
        "expect": {"labels": {"system.correlationId": {"$fmt": "${execution:t}"}}},
    },
]


def _play(tmp_path: Path, scenario: list[dict[str, Any]], backend: str = "memory") -> Outcome:
    folder = tmp_path / "kestra" / "case"
    folder.mkdir(parents=True)
    for name, source in FLOWS.items():
        (folder / name).write_text(source)
    case = {"namespace": NAMESPACE, "flowId": "asking", "inputs": {}, "scenario": scenario}
    (folder / "expected.json").write_text(json.dumps(case))
    return run_case(folder, backend)


def test_every_step_through_the_services(tmp_path: Path) -> None:
    outcome = _play(tmp_path, COMMANDS)
    assert outcome.passed, outcome.line()


@pytest.mark.parametrize("backend", ["memory", "moto"])
def test_sleep_moves_the_virtual_clock_only_so_far(tmp_path: Path, backend: str) -> None:
    outcome = _play(tmp_path, CLOCK, backend)
    assert outcome.passed, outcome.line()


def test_a_false_fact_fails_the_step_that_states_it(tmp_path: Path) -> None:
    steps = [*COMMANDS[:4], {"await": "main", "until": "SUCCESS", "expect": {"state": "FAILED"}}]
    outcome = _play(tmp_path, steps)
    assert outcome.line() == 'FAIL case: step 5 (await main) state: expected "FAILED", got "SUCCESS"'


def test_a_state_that_never_comes_ends_the_scenario(tmp_path: Path) -> None:
    steps: list[dict[str, Any]] = [
        {"run": "main", "until": "SUCCESS"},
        {"check": "main", "expect": {"state": "PAUSED"}},
    ]
    outcome = _play(tmp_path, steps)
    assert list(outcome.verdicts) == ["step 1 (run main) until SUCCESS"]
    assert outcome.line().startswith("FAIL case: step 1 (run main) until SUCCESS: still PAUSED: ")


def test_refusals_and_facts_not_checked_fail(tmp_path: Path) -> None:
    steps: list[dict[str, Any]] = [
        {"run": "main", "until": "PAUSED"},
        {"resume": "main", "inputs": {"asked": "yes"}, "expectRejected": {"messageContains": "x"}},
        {"awaitFlow": f"{NAMESPACE}.asking", "count": 1, "expect": {"stateCounts": {"SUCCESS": 1}}},
        {"sleep": 1, "expect": {"state": "SUCCESS"}},
        {"restart": "main"},  # refused: it succeeded
    ]
    outcome = _play(tmp_path, steps)
    assert {key: v.status for key, v in outcome.verdicts.items()} == {
        "step 2 (resume main) expectRejected": Status.FAIL,
        "step 3 (awaitFlow io.kite.conformance.asking) stateCounts": Status.NOT_CHECKED,
        "step 4 (sleep 1) step": Status.NOT_CHECKED,
        "step 5 (restart main) restart": Status.FAIL,
    }


def test_steps_kite_cannot_run_skip_the_case(tmp_path: Path) -> None:
    outcome = _play(tmp_path, [{"run": "main"}, {"teleport": "s"}])
    assert outcome.line() == "SKIP case: a scenario step this runner does not know (not checked)"
