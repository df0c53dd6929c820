"""The `kite` command, as a user runs it: real handlers on the embedded stack."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import infra.embedded
from infra.cli.main import main

EXAMPLES = Path(__file__).parents[2] / "examples"


def test_every_example_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(EXAMPLES)]) == 0
    assert capsys.readouterr().out == ""


def test_hello_runs_end_to_end_with_json(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", str(EXAMPLES / "hello.yaml"), "--fast-forward", "--json", "--input", "user=Ada"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    execution = json.loads(captured.out)
    assert execution["state"]["current"] == "SUCCESS"
    assert execution["inputs"] == {"user": "Ada"}
    runs = {r["taskId"] + (f"[{r['value']}]" if r["value"] else ""): r for r in execution["taskRunList"]}
    assert runs["postcard[Oslo]"]["outputs"] == {"value": "Greetings from Oslo"}
    assert runs["summary"]["outputs"]["values"] == {"cities": "Paris, Lisbon, Oslo", "user": "Ada"}
    assert "nap" in captured.err and "SUCCESS" in captured.err


def test_branching_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(EXAMPLES / "branching.yaml"), "--fast-forward", "--input", "env=prod"]) == 0
    assert "careful" in capsys.readouterr().err


def test_failure_example_exits_1_and_shows_the_failed_task_logs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(EXAMPLES / "failure.yaml"), "--fast-forward"]) == 1
    err = capsys.readouterr().err
    assert "the data for failure looks wrong" in err
    assert "FAILED" in err


def test_invalid_flow_exits_2_with_positions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flow = tmp_path / "bad.yaml"
    flow.write_text("id: bad\nnamespace: demo\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n")
    assert main(["run", str(flow)]) == 2
    err = capsys.readouterr().err
    assert f"{flow}:4:5: tasks[0].message: required property is missing" in err
    assert "Traceback" not in err
    assert main(["validate", str(flow)]) == 1
    assert capsys.readouterr().out.strip() == f"{flow}:4:5: tasks[0].message: required property is missing"


def test_missing_required_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flow = tmp_path / "inputs.yaml"
    flow.write_text(
        "id: inputs\nnamespace: demo\ninputs:\n  - id: age\n    type: INT\n"
        "tasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
    )
    assert main(["run", str(flow)]) == 2
    assert "kite: Missing required input:age" in capsys.readouterr().err
    assert main(["run", str(flow), "--input", "age=1.5"]) == 2
    assert 'kite: Invalid value for input `age`. Cause: For input string: "1.5"' in capsys.readouterr().err


def test_a_blocking_check_exits_2_with_kestras_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = tmp_path / "checked.yaml"
    flow.write_text(
        "id: checked\nnamespace: demo\nchecks:\n  - {condition: '{{ false }}', message: not today}\n"
        "tasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
    )
    assert main(["run", str(flow)]) == 2
    assert "Failed checks: not today" in capsys.readouterr().err


def test_stats_report_costs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(EXAMPLES / "branching.yaml"), "--fast-forward", "--stats"]) == 0
    err = capsys.readouterr().err
    assert "dynamodb.TransactWriteItems" in err
    assert "per million task runs" in err


def test_flows_dir_and_labels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flow = tmp_path / "labels.yaml"
    flow.write_text(
        "id: labels\nnamespace: demo\nlabels:\n  team: data\ntasks:\n"
        "  - id: a\n    type: io.kestra.plugin.core.debug.Return\n"
        "    format: '{{ labels.team }}-{{ labels.env }}'\n"
    )
    assert main(["run", str(flow), "--flows", str(tmp_path), "--label", "env=qa", "--json"]) == 0
    execution = json.loads(capsys.readouterr().out)
    assert execution["taskRunList"][0]["outputs"] == {"value": "data-qa"}
    labels = {label["key"]: label["value"] for label in execution["labels"]}
    assert labels["team"] == "data" and labels["env"] == "qa"
    assert labels["system.correlationId"] == execution["id"]


def test_json_stdout_stays_clean_when_a_handler_logs_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.services.dispatcher import Dispatcher

    original = Dispatcher.handle
    failures: list[str] = []

    def flaky(self: Dispatcher, execution_id: str, events: Any, delivery: Any) -> Any:
        if not failures:
            failures.append(execution_id)
            raise RuntimeError("transient failure")  # logged by the handler, the message is redelivered
        return original(self, execution_id, events, delivery)

    monkeypatch.setattr(Dispatcher, "handle", flaky)
    assert main(["run", str(EXAMPLES / "branching.yaml"), "--fast-forward", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["state"]["current"] == "SUCCESS"
    assert failures and "transient failure" in captured.err


def test_run_without_the_local_extra_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The deployed package has no moto: `kite run` says so instead of a traceback."""
    monkeypatch.setattr(infra, "embedded", infra.embedded)  # the import below rebinds it
    for name in [m for m in sys.modules if m == "infra.embedded" or m.startswith("infra.embedded.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "moto", None)  # as if not installed
    assert main(["run", str(EXAMPLES / "hello.yaml")]) == 2
    assert "pip install 'kite[local]'" in capsys.readouterr().err


PAUSING = """id: approval
namespace: demo
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: copies
        type: INT
      - id: note
        type: STRING
        defaults: none
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: "copies={{ outputs.wait.onResume.copies }} {{ outputs.wait.onResume.note }}"
"""


@pytest.mark.parametrize("fast", [True, False])
def test_a_run_that_pauses_says_what_it_waits_for_and_exits_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fast: bool
) -> None:
    flow = tmp_path / "approval.yaml"
    flow.write_text(PAUSING)
    assert main(["run", str(flow), *(["--fast-forward"] if fast else [])]) == 3
    err = capsys.readouterr().err
    assert "PAUSED at task 'wait': it waits for a resume." in err
    assert "onResume input copies (INT, required)" in err
    assert "onResume input note (STRING, default 'none')" in err
    assert "Traceback" not in err


def test_a_paused_run_is_resumed_from_the_terminal_with_its_inputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    flow = tmp_path / "approval.yaml"
    flow.write_text(PAUSING)
    answers = iter(["y", "many", "", "3", "looks good"])
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    assert main(["run", str(flow), "--fast-forward", "--json"]) == 0
    captured = capsys.readouterr()
    execution = json.loads(captured.out)
    after = next(r for r in execution["taskRunList"] if r["taskId"] == "after")
    assert after["outputs"] == {"value": "copies=3 looks good"}
    assert "kite: Invalid value for input `copies`" in captured.err  # "many" is no INT: asked again


def test_a_run_past_its_timeout_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flow = tmp_path / "slow.yaml"
    flow.write_text(
        "id: slow\nnamespace: demo\ntasks:\n  - id: nap\n    type: io.kestra.plugin.core.flow.Sleep\n"
        "    duration: PT1H\n"
    )
    assert main(["run", str(flow), "--timeout", "1"]) == 1
    err = capsys.readouterr().err
    assert "kite: gave up after 1 s (--timeout): the execution is RUNNING" in err
    assert "Traceback" not in err


def test_a_flow_file_that_is_not_utf8_is_an_invalid_flow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = tmp_path / "latin1.yaml"
    flow.write_bytes("id: caf\xe9\nnamespace: demo\n".encode("latin-1"))
    assert main(["run", str(flow)]) == 2
    assert f"{flow}:1:8: <flow>: not UTF-8 text (byte 0xe9)" in capsys.readouterr().err
    assert main(["validate", str(flow)]) == 1
    assert capsys.readouterr().out.strip() == f"{flow}:1:8: <flow>: not UTF-8 text (byte 0xe9)"


def test_a_malformed_secret_is_a_message_naming_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_API_TOKEN", "%%% not base64")
    assert main(["run", str(EXAMPLES / "hello.yaml"), "--fast-forward"]) == 2
    err = capsys.readouterr().err
    assert "kite: Could not decode secret 'SECRET_API_TOKEN', make sure it is Base64-encoded" in err
    assert "Traceback" not in err


def test_a_task_cannot_drive_the_terminal_and_json_stays_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = tmp_path / "noisy.yaml"
    flow.write_text(
        "id: noisy\nnamespace: demo\ninputs:\n  - {id: ratio, type: FLOAT}\ntasks:\n"
        "  - id: each\n    type: io.kestra.plugin.core.flow.ForEach\n"
        '    values: ["\\u001b[2Jclear"]\n    tasks:\n'
        "      - id: shout\n        type: io.kestra.plugin.core.execution.Fail\n"
        '        errorMessage: "\\u001b]0;pwned\\u0007 \\u202eevil"\n'
    )
    assert main(["run", str(flow), "--fast-forward", "--json", "--input", "ratio=NaN"]) == 1
    captured = capsys.readouterr()
    assert "\x1b[2J" not in captured.err and "\x1b]0;" not in captured.err and "\u202e" not in captured.err
    assert "\\x1b]0;pwned\\x07 \\u202eevil" in captured.err
    assert "[\\x1b[2Jclear]" in captured.err
    assert json.loads(captured.out)["inputs"] == {"ratio": "NaN"}  # strict JSON: no bare NaN


def script_lines_as_they_come(tmp_path: Path, namespace: str, *options: str) -> list[str]:
    """`kite run FLOW --logs *options` in a process, on a flow whose script waits until its first line has
    been read here: a run that printed its lines at the end would never let it see one. The script's lines
    as shown, once the run has succeeded."""
    released = tmp_path / "released"
    flow = tmp_path / "live.yaml"
    flow.write_text(
        f"id: live\nnamespace: {namespace}\ntasks:\n  - id: script\n"
        "    type: io.kestra.plugin.scripts.shell.Commands\n    commands:\n"
        "      - echo first line\n"
        f"      - for i in $(seq 150); do [ -f {released} ] && break; sleep 0.1; done\n"
        f"      - if [ -f {released} ]; then echo released; else echo never released; fi\n"
    )
    command = [sys.executable, "-m", "infra.cli.main", "run", str(flow), "--logs", *options]
    cli = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=EXAMPLES.parent)
    assert cli.stderr is not None
    lines: list[str] = []
    for line in cli.stderr:
        lines.append(line)
        if "script: first line" in line:
            released.touch()
    assert cli.wait(timeout=60) == 0, "".join(lines)
    return [line.strip() for line in lines if "] script:" in line]


def test_logs_show_a_scripts_lines_while_it_runs(tmp_path: Path) -> None:
    assert script_lines_as_they_come(tmp_path, "demo") == [
        "[INFO] script: first line",
        "[INFO] script: released",
    ]
