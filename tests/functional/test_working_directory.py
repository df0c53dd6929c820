"""WorkingDirectory on the embedded stack: children in one worker invocation, one directory (issue 15)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.flow.loader import InvalidFlowError, parse_flow
from engine.model.execution import Execution
from infra.embedded.clock import VirtualClock
from infra.embedded.local import LocalKite


def _run(source: str) -> tuple[Execution, dict[str, str], int, dict[str, bytes]]:
    with LocalKite(inline_budget=0) as kite:
        kite.deploy(source)
        flow_id = source.split("id:", 1)[1].split("\n", 1)[0].strip()
        started = kite.start_execution("company.team", flow_id)
        kite.invocations = 0
        execution = kite.wait(started.id)
        invocations = kite.invocations
        logs: dict[str, str] = {}
        for entry in kite.services.executions.logs(execution.id):
            logs[entry.task_id or ""] = logs.get(entry.task_id or "", "") + entry.message + "\n"
        storage = kite.services.resources.storage
        files = {
            name: storage.get(uri)
            for run in execution.task_runs
            for name, uri in (run.outputs.get("outputFiles") or {}).items()
        }
    return execution, logs, invocations, files


THREE = """id: wdir
namespace: company.team
tasks:
  - id: wdir
    type: io.kestra.plugin.core.flow.WorkingDirectory
    inputFiles:
      query.sql: SELECT 1
    outputFiles:
      - "*.json"
    tasks:
      - id: write
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - 'echo "{{ taskrun.id }}" > {{ workingDir }}/stay.txt'
      - id: read
        type: io.kestra.plugin.scripts.python.Script
        script: |
          import json
          from kestra import Kestra
          stay = open("stay.txt").read().strip()
          sql = open("query.sql").read()
          json.dump({"stay": stay, "sql": sql}, open("output.json", "w"))
          Kestra.outputs({"stay": stay})
      - id: echo
        type: io.kestra.plugin.core.debug.Return
        format: "{{ outputs.read.vars.stay == outputs.write.exitCode ~ '' or true }}"
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: "{{ read(outputs.wdir.outputFiles['output.json']) }}"
"""


def test_three_tasks_share_one_directory_in_one_worker_invocation() -> None:
    execution, logs, invocations, files = _run(THREE)
    assert execution.state.current.value == "SUCCESS"
    runs = {run.task_id: run for run in execution.task_runs}
    assert [run.task_id for run in execution.task_runs] == ["wdir", "write", "read", "echo", "after"]
    assert {runs[child].parent_task_run_id for child in ("write", "read", "echo")} == {runs["wdir"].id}
    assert all(runs[child].state.current.value == "SUCCESS" for child in ("write", "read", "echo"))
    assert runs["read"].outputs["vars"] == {"stay": runs["write"].id}
    assert b'"sql": "SELECT 1"' in files["output.json"]
    assert runs["wdir"].outputs["uris"] == runs["wdir"].outputs["outputFiles"]
    assert runs["write"].id in logs["after"]
    # The working directory is one worker invocation; the Log after it runs inline in the dispatcher.
    assert invocations <= 4


def test_a_failing_child_stops_the_others_and_a_restart_runs_the_directory_again() -> None:
    source = """id: failing
namespace: company.team
tasks:
  - id: wdir
    type: io.kestra.plugin.core.flow.WorkingDirectory
    tasks:
      - id: make
        type: io.kestra.plugin.core.storage.LocalFiles
        inputs:
          data.txt: hello
        outputs: ["*.txt"]
      - id: boom
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - test "{{ labels.system.restarted ?? 'no' }}" = "true"
      - id: never
        type: io.kestra.plugin.core.debug.Return
        format: late
"""
    with LocalKite(inline_budget=0) as kite:
        kite.deploy(source)
        failed = kite.run("company.team", "failing")
        assert failed.state.current.value == "FAILED"
        assert [(r.task_id, r.state.current.value) for r in failed.task_runs] == [
            ("wdir", "FAILED"),
            ("make", "SUCCESS"),
            ("boom", "FAILED"),
        ]
        make = failed.task_runs.of_task("make")[0]
        assert kite.services.resources.storage.get(make.outputs["uris"]["data.txt"]) == b"hello"
        kite.services.executions.restart(failed.id)
        restarted = kite.wait(failed.id)
    assert restarted.state.current.value == "SUCCESS"
    assert [(r.task_id, r.state.current.value) for r in restarted.task_runs] == [
        ("wdir", "SUCCESS"),
        ("make", "SUCCESS"),
        ("boom", "SUCCESS"),
        ("never", "SUCCESS"),
    ]


@pytest.mark.parametrize(
    ("child", "message"),
    [
        (
            "type: io.kestra.plugin.core.flow.Sequential\n"
            "        tasks: [{id: x, type: io.kestra.plugin.core.log.Log, message: m}]",
            "Only runnable tasks",
        ),
        ("type: io.kestra.plugin.core.flow.Pause", "Only runnable tasks"),
        (
            "type: io.kestra.plugin.core.log.Log\n        message: m\n"
            "        retry: {type: constant, interval: PT1S, maxAttempts: 2, behavior: CREATE_NEW_EXECUTION}",
            "can only be RETRY_FAILED_TASK",
        ),
    ],
)
def test_only_runnable_tasks_run_inside(child: str, message: str) -> None:
    source = (
        "id: f\nnamespace: demo\ntasks:\n  - id: w\n    type: io.kestra.plugin.core.flow.WorkingDirectory\n"
        f"    tasks:\n      - id: c\n        {child}\n"
    )
    with pytest.raises(InvalidFlowError, match=message):
        parse_flow(source)


CACHED = """id: node_with_cache
namespace: company.team
tasks:
  - id: working_dir
    type: io.kestra.plugin.core.flow.WorkingDirectory
    cache:
      patterns:
        - node_modules/**
      ttl: PT1H
    tasks:
      - id: install
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - |
            if [ -f node_modules/colors/index.js ]; then
              echo "::{\\"outputs\\": {\\"from\\": \\"cache\\"}}::"
            else
              mkdir -p node_modules/colors && echo "module.exports = 1" > node_modules/colors/index.js
              echo "::{\\"outputs\\": {\\"from\\": \\"install\\"}}::"
            fi
"""


def test_the_cache_keeps_the_patterns_files_for_the_next_execution() -> None:
    """Kestra's documented `node_with_cache` example, npm replaced by a script that writes what it would."""
    with LocalKite(inline_budget=0, start=datetime(2026, 6, 1, 10, tzinfo=UTC)) as kite:
        kite.deploy(CACHED)
        first = kite.run("company.team", "node_with_cache")
        second = kite.run("company.team", "node_with_cache")
        assert isinstance(kite.clock, VirtualClock)
        kite.clock.advance(timedelta(hours=2))  # past the ttl: the cache is not used
        third = kite.run("company.team", "node_with_cache")
    runs = (first, second, third)
    assert [run.task_runs.of_task("install")[0].outputs["vars"]["from"] for run in runs] == [
        "install",
        "cache",
        "install",
    ]


FLAKY = """id: flaky
namespace: company.team
tasks:
  - id: wdir
    type: io.kestra.plugin.core.flow.WorkingDirectory
    tasks:
      - id: prepare
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - echo ready > prepared.txt
      - id: flaky
        type: io.kestra.plugin.scripts.shell.Commands
        retry:
          type: constant
          interval: PT2M
          maxAttempts: 3
        commands:
          - cat prepared.txt
          - echo x >> tries.txt
          - test "$(wc -l < tries.txt)" -ge 3
      - id: after
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - 'echo "::{\\"outputs\\": {\\"tries\\": $(wc -l < tries.txt)}}::"'
"""


def test_a_child_with_its_own_retry_runs_again_in_the_same_directory() -> None:
    """Kestra's child retry, kept in the directory: the third attempt sees the files of the first two
    (and the earlier child's), waiting out each interval, all in one worker invocation."""
    execution, _, invocations, _ = _run(FLAKY)
    assert execution.state.current.value == "SUCCESS", execution.state.current
    flaky = execution.task_runs.of_task("flaky")[0]
    assert [a.state.current.value for a in flaky.attempts] == ["FAILED", "FAILED", "SUCCESS"]
    assert "RETRYING" in [h.state.value for h in flaky.state.histories]
    first, last = flaky.attempts[0].state, flaky.attempts[-1].state
    assert last.start_date - (first.end_date or first.start_date) >= timedelta(minutes=4)
    assert execution.task_runs.of_task("after")[0].outputs["vars"]["tries"] == 3
    assert len(execution.task_runs.of_task("wdir")[0].attempts) == 1
    assert invocations <= 2  # one worker invocation (and the dispatcher's step)


def test_a_child_retry_that_would_outlast_the_worker_fails_with_the_reason() -> None:
    source = FLAKY.replace("interval: PT2M", "interval: PT20M")
    execution, logs, _, _ = _run(source)
    assert execution.state.current.value == "FAILED"
    assert [a.state.current.value for a in execution.task_runs.of_task("flaky")[0].attempts] == ["FAILED"]
    assert "is not retried: its next attempt would start after this worker's 00:15:00.000" in logs["wdir"]
