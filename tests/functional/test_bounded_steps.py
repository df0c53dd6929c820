"""No step is unbounded (issue 12): what a flow author writes cannot hold the dispatcher's step past its time
— a pattern that backtracks without end, a jq program that never ends or takes all memory, an http() call
in a task the dispatcher would run itself."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from engine.model.state import StateType
from engine.runtime import port_services
from infra.embedded.local import Handler, LocalKite

FLOW = """id: bounded
namespace: demo
tasks:
  - id: work
    type: io.kestra.plugin.core.debug.Return
    format: "{template}"
"""


def _run(template: str) -> tuple[StateType, list[str], float]:
    started = time.perf_counter()
    with LocalKite() as kite:  # inline tasks run in the dispatcher's step
        kite.deploy(FLOW.replace("{template}", template))
        execution = kite.run("demo", "bounded")
        errors = [e.message for e in kite.services.executions.logs(execution.id) if e.level == "ERROR"]
    return execution.state.current, errors, time.perf_counter() - started


def test_a_pattern_that_backtracks_without_end_fails_the_task() -> None:
    state, errors, took = _run("{{ '" + "a" * 60 + "!' | regexMatch('(a|aa)+$') }}")
    assert state == StateType.FAILED
    assert any("took longer than 1 s to match" in error for error in errors), errors
    assert took < 30


@pytest.mark.parametrize(
    ("program", "seconds", "cause"),
    [
        ("def f: f; f", 1.0, "took longer than 1 s"),
        ("[range(100000000)] | length", 20.0, "needed more than 256 MB"),
    ],
)
def test_a_jq_program_out_of_time_or_memory_fails_the_task(
    program: str, seconds: float, cause: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(port_services, "SANDBOX_SECONDS", seconds)
    state, errors, took = _run("{{ 1 | jq('" + program + "') }}")
    assert state == StateType.FAILED
    assert any(f"The jq program was stopped: it {cause}" in error for error in errors), errors
    assert took < 30


@pytest.fixture
def slow_server() -> Iterator[int]:
    class Slow(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            time.sleep(0.2)
            body = b'{"greeting": "hello"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_port
    finally:
        server.shutdown()


def test_tasks_calling_http_run_on_workers_not_in_the_dispatcher(slow_server: int) -> None:
    """Three such tasks took 63 s in one dispatcher invocation whose timeout is 60 s."""
    call = f"{{{{ http('http://127.0.0.1:{slow_server}/').greeting }}}}"
    tasks = "".join(
        f'  - id: call{n}\n    type: io.kestra.plugin.core.debug.Return\n    format: "{call}"\n'
        for n in range(3)
    )
    worker_runs: list[int] = []

    def count(handler: Handler) -> Handler:
        def deliver(event: dict[str, Any], context: Any) -> Any:
            worker_runs.append(len(event["Records"]))
            return handler(event, context)

        return deliver

    with LocalKite(wrap={"WorkerFunction": count}) as kite:
        kite.deploy(f"id: calls\nnamespace: demo\ntasks:\n{tasks}")
        execution = kite.run("demo", "calls")
    assert execution.state.current == StateType.SUCCESS
    assert [dict(r.outputs) for r in execution.task_runs] == [{"value": "hello"}] * 3
    assert sum(worker_runs) == 3
