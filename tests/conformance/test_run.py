"""The runner end to end on a small corpus written here (memory backend: fast, same services)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conformance import run

FLOW = """\
id: hello
namespace: io.kite.conformance
inputs:
  - id: name
    type: STRING
tasks:
  - id: ret
    type: io.kestra.plugin.core.debug.Return
    format: "hi {{ inputs.name }}"
"""
BROKEN = "id: broken\nnamespace: io.kite.conformance\ntasks:\n  - id: t\n    type: io.kite.Nope\n"

CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "ok": (
        FLOW,
        {
            "inputs": {"name": "x"},
            "expect": {"state": "SUCCESS", "tasks": {"ret": {"outputs": {"value": "hi x"}}}},
        },
    ),
    "wrong": (FLOW, {"inputs": {"name": "x"}, "expect": {"state": "FAILED", "taskRunCount": 1}}),
    "refused": (FLOW, {"inputs": {}, "expect": {"rejected": {"messageContains": "required input:name"}}}),
    "not-refused": (FLOW, {"inputs": {"name": "x"}, "expect": {"rejected": {"messageContains": "x"}}}),
    "webhook": (FLOW, {"inputs": {}, "scenario": [{"webhook": "w", "key": "k", "method": "GET"}]}),
    "upload": (
        FLOW,
        {
            "inputs": {"name": {"$file": {"name": "a.txt", "content": "a"}}},
            "expect": {
                "tasks": {"ret": {"outputs": {"value": {"$regex": "^hi kestra:///.*/inputs/name/a.txt$"}}}}
            },
        },
    ),
    "broken": (BROKEN, {"inputs": {}, "expect": {"state": "SUCCESS"}}),
}


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, (flow, case) in CASES.items():
        folder = tmp_path / "kestra" / name
        folder.mkdir(parents=True)
        (folder / "flow.yaml").write_text(flow)
        flow_id = "broken" if flow is BROKEN else "hello"
        (folder / "expected.json").write_text(
            json.dumps({"namespace": "io.kite.conformance", "flowId": flow_id, **case})
        )
    monkeypatch.setenv("KITE_CONFORMANCE_DIR", str(tmp_path))
    monkeypatch.setattr(run, "BASELINE", tmp_path / "baseline.txt")
    return tmp_path


def test_lines_summary_and_exit_status(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (corpus / "baseline.txt").write_text("ok\nwrong\n")
    status = run.main(["--backend", "memory"])
    lines = capsys.readouterr().out.splitlines()
    assert status == 1  # a baseline case fails
    by_case = {
        line.split()[1].rstrip(":"): line for line in lines if line.split()[0] in ("PASS", "FAIL", "SKIP")
    }
    assert by_case["ok"] == "PASS ok"
    assert by_case["refused"] == "PASS refused"
    assert by_case["wrong"].startswith('FAIL wrong: state: expected "FAILED", got "SUCCESS"')
    assert "taskRunCount" not in by_case["wrong"]
    assert by_case["not-refused"].startswith("FAIL not-refused: rejected: the execution was created")
    assert by_case["broken"].startswith("FAIL broken: deploy: flow.yaml: ")
    # The in-memory twin has no HTTP API function to call.
    assert by_case["webhook"] == (
        "SKIP webhook: webhook steps need the stack's HTTP API, which this backend has not (not checked)"
    )
    assert by_case["upload"] == "PASS upload"
    assert lines[-2:] == ["1 skipped", "3 passed, 3 failed"]


def test_update_baseline_keeps_cases_not_run(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (corpus / "baseline.txt").write_text("elsewhere\nwrong\n")
    with pytest.raises(SystemExit):
        run.main(["--backend", "memory", "--update-baseline"])  # only from moto
    assert run.main(["--case", "ok", "--case", "wrong", "--update-baseline"]) == 1
    assert (corpus / "baseline.txt").read_text() == "elsewhere\nok\n"
