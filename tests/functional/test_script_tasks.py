"""Script tasks as processes of the worker, on the embedded stack (issue 15)."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from engine.flow.loader import InvalidFlowError, parse_flow
from engine.model.execution import Execution
from functions.api import auth
from infra.embedded.local import LocalKite
from infra.embedded.server import LocalServer


def _run(source: str, environ: dict[str, str] | None = None) -> tuple[Execution, list[tuple[str, str, str]]]:
    with LocalKite(inline_budget=0, environ=environ) as kite:
        kite.deploy(source)
        flow_id = source.split("id:", 1)[1].split("\n", 1)[0].strip()
        execution = kite.run("company.team", flow_id)
        logs = [(e.task_id or "", e.level, e.message) for e in kite.services.executions.logs(execution.id)]
        for run in execution.task_runs:
            for name, uri in (run.outputs.get("outputFiles") or {}).items():
                logs.append(
                    (run.task_id, "FILE", f"{name}={kite.services.resources.storage.get(uri).decode()}")
                )
    return execution, logs


def test_a_python_script_using_the_kestra_package_sets_outputs_the_next_task_reads() -> None:
    execution, logs = _run(
        """id: python_outputs
namespace: company.team
tasks:
  - id: compute
    type: io.kestra.plugin.scripts.python.Script
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    containerImage: python:3.12-slim
    script: |
      from kestra import Kestra
      print("computing")
      Kestra.outputs({"rows": 42, "name": "orders"})
  - id: use
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.compute.vars.name }} has {{ outputs.compute.vars.rows }} rows"
"""
    )
    assert execution.state.current.value == "SUCCESS"
    compute = execution.task_runs.of_task("compute")[0].outputs
    assert compute["exitCode"] == 0 and compute["vars"] == {"rows": 42, "name": "orders"}
    assert ("compute", "INFO", "computing") in logs
    assert ("use", "INFO", "orders has 42 rows") in logs


def test_shell_commands_with_input_and_output_files() -> None:
    execution, logs = _run(
        """id: files
namespace: company.team
tasks:
  - id: write
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    env:
      GREETING: hello
    inputFiles:
      names.txt: |
        Ada
        Bob
    outputFiles:
      - "*.csv"
    commands:
      - while read name; do echo "$GREETING,$name" >> out.csv; done < names.txt
      - echo '::{"outputs":{"lines":2}}::'
  - id: count
    type: io.kestra.plugin.scripts.shell.Commands
    inputFiles:
      data.csv: "{{ outputs.write.outputFiles['out.csv'] }}"
    commands:
      - wc -l < data.csv
"""
    )
    assert execution.state.current.value == "SUCCESS"
    assert ("write", "FILE", "out.csv=hello,Ada\nhello,Bob\n") in logs
    assert execution.task_runs.of_task("write")[0].outputs["vars"] == {"lines": 2}
    assert ("count", "INFO", "2") in logs


def test_exit_codes_stderr_and_the_worker_s_secrets() -> None:
    execution, logs = _run(
        """id: failing
namespace: company.team
tasks:
  - id: warn
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - echo "careful" >&2
  - id: env
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - echo "key=${AWS_SECRET_ACCESS_KEY:-none} table=${KITE_EXECUTIONS_TABLE:-none}"
  - id: boom
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - echo "before"
      - exit 3
      - echo "never"
""",
        environ={"AWS_SECRET_ACCESS_KEY": "worker-secret"},
    )
    runs = {run.task_id: run.state.current.value for run in execution.task_runs}
    assert runs == {"warn": "WARNING", "env": "SUCCESS", "boom": "FAILED"}
    assert ("warn", "WARN", "careful") in logs
    assert ("env", "INFO", "key=none table=none") in logs
    assert ("boom", "ERROR", "Command failed with exit code 3") in logs
    assert not any("never" in message for _, _, message in logs)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("    containerImage: ubuntu\n", "containerImage needs a container"),
        ("    taskRunner:\n      type: io.kestra.plugin.scripts.runner.docker.Docker\n", "is not supported"),
        ("    runner: DOCKER\n", "runner DOCKER is not supported"),
    ],
)
def test_a_container_kite_cannot_run_is_refused_when_the_flow_is_read(extra: str, message: str) -> None:
    source = (
        "id: f\nnamespace: demo\ntasks:\n  - id: s\n    type: io.kestra.plugin.scripts.shell.Commands\n"
        "    commands: [echo hi]\n" + extra
    )
    with pytest.raises(InvalidFlowError, match=message):
        parse_flow(source)


def test_output_protocol_lines_are_not_logged_as_text() -> None:
    execution, logs = _run(
        """id: protocol
namespace: company.team
tasks:
  - id: talk
    type: io.kestra.plugin.scripts.python.Script
    script: |
      import json
      print("::" + json.dumps({"logs": [{"level": "ERROR", "message": "told"}]}) + "::")
      print("::" + json.dumps({"metrics": [{"name": "rows", "type": "counter", "value": 1}]}) + "::")
"""
    )
    assert execution.state.current.value == "SUCCESS"
    assert ("talk", "ERROR", "told") in logs
    assert not any(message.startswith("::") for _, _, message in logs)
    assert json.dumps(execution.task_runs.of_task("talk")[0].outputs["vars"]) == "{}"


SLOW = """id: slow
namespace: company.team
tasks:
  - id: work
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - echo first
      - sleep 5
      - echo second
"""


def test_a_script_s_lines_show_while_it_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the API as a user follows it: the first line shows while the script still sleeps, and once
    it has ended every line shows once."""
    monkeypatch.setenv(auth.OPEN_ENV, "true")  # as `kite serve` on loopback
    with (
        LocalKite(fast_forward=False, inline_budget=0) as kite,
        LocalServer(kite, "127.0.0.1", 0) as server,
    ):
        kite.deploy(SLOW)
        started = kite.start_execution("company.team", "slow")
        url = f"{server.url}/api/v1/main/logs/{started.id}"

        def messages() -> list[str]:
            with urllib.request.urlopen(url, timeout=10) as answer:
                return [entry["message"] for entry in json.load(answer)]

        deadline = time.monotonic() + 30
        while "first" not in messages() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "first" in messages() and "second" not in messages()
        assert not kite.services.executions.get(started.id).state.current.terminated
        while not kite.services.executions.get(started.id).state.current.terminated:
            time.sleep(0.2)
        shown = messages()
        assert shown.count("first") == 1 and shown.count("second") == 1
