"""secret(), envs, globals, kestra, read()/fileURI() and errorLogs() through the real pipeline."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from engine.config import EngineConfig
from engine.memory import in_memory_resources
from engine.memory.runner import InMemoryRunner
from engine.model.execution import Execution
from infra.cli.main import main
from infra.embedded.local import LocalKite

FLOW = """
id: resources
namespace: company.team
tasks:
  - id: token
    type: io.kestra.plugin.core.log.Log
    message: "token={{ secret('API_TOKEN') }} and again {{ secret('api_token') }}"
  - id: config
    type: io.kestra.plugin.core.debug.Return
    format: "{{ envs.region }}|{{ globals.team.name }}|{{ kestra.environment }}"
  - id: file
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read('data/greeting.txt') | trim }}|{{ fileURI('data/greeting.txt') }}"
  - id: size
    type: io.kestra.plugin.core.debug.Return
    format: "{{ fileSize(fileURI('data/greeting.txt')) }}"
"""

ENVIRON = {
    "SECRET_API_TOKEN": base64.b64encode(b"s3cr3t-value").decode(),
    "ENV_REGION": "eu-west-3",
    "KITE_GLOBALS": '{"team": {"name": "data"}}',
    "KITE_ENVIRONMENT": "test",
    "AWS_SECRET_ACCESS_KEY": "never-visible",
}


def _outputs(execution: Execution) -> dict[str, object]:
    return {run.task_id: (run.outputs or {}).get("value") for run in execution.task_runs}


@pytest.fixture
def namespace_files(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "greeting.txt").write_text("hello from a namespace file\n")
    return tmp_path


def test_resources_on_the_embedded_stack(namespace_files: Path) -> None:
    with LocalKite(environ=ENVIRON) as kite:
        kite.deploy(FLOW)
        kite.upload_namespace_files("company.team", namespace_files)
        execution = kite.run("company.team", "resources")
        logs = kite.services.executions.logs(execution.id)

    assert execution.state.current == "SUCCESS", [entry.message for entry in logs]
    outputs = _outputs(execution)
    assert outputs["config"] == "eu-west-3|data|test"
    assert outputs["file"] == ("hello from a namespace file|kestra:///company/team/_files/data/greeting.txt")
    assert outputs["size"] == "28"
    token_lines = [entry.message for entry in logs if entry.task_id == "token"]
    assert token_lines == ["token=****** and again ******"]
    assert all("s3cr3t-value" not in entry.message for entry in logs)


def test_envs_exposes_only_the_prefixed_variables() -> None:
    flow = """
id: leak
namespace: company.team
tasks:
  - id: all
    type: io.kestra.plugin.core.debug.Return
    format: "{{ envs }}"
"""
    runner = InMemoryRunner(config=EngineConfig.from_environ(ENVIRON))
    runner.deploy(flow)
    execution = runner.run("company.team", "leak")
    assert _outputs(execution)["all"] == '{"region":"eu-west-3"}'


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ secret('NOPE') }}", "Cannot find secret for key 'NOPE'."),
        ("{{ read('missing.txt') }}", "File not found: kestra:///company/team/_files/missing.txt"),
        ("{{ read('../other/x.txt') }}", "Path must not contain '../'"),
        (
            "{{ read('kestra:///other/flow/executions/abc/file.txt') }}",
            "as it didn't belong to the current execution",
        ),
    ],
)
def test_failures_name_the_task_and_the_cause(template: str, message: str) -> None:
    flow = f"""
id: bad
namespace: company.team
tasks:
  - id: broken
    type: io.kestra.plugin.core.debug.Return
    format: "{template}"
"""
    runner = InMemoryRunner(resources=in_memory_resources({"API_TOKEN": "x"}))
    runner.deploy(flow)
    execution = runner.run("company.team", "bad")
    assert execution.state.current == "FAILED"
    errors = [e.message for e in runner.services.executions.logs(execution.id) if e.level == "ERROR"]
    assert any(message in line and "'broken'" in line for line in errors), errors


def test_error_logs_in_an_errors_branch_on_workers() -> None:
    flow = """
id: alert
namespace: company.team
tasks:
  - id: boom
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: "disk full"
errors:
  - id: report
    type: io.kestra.plugin.core.debug.Return
    format: "{% for log in errorLogs() %}{{ log.taskId }}: {{ log.message }};{% endfor %}"
"""
    # inline_budget=0 sends every task to a worker, which reads the stored logs.
    runner = InMemoryRunner(inline_budget=0)
    runner.deploy(flow)
    execution = runner.run("company.team", "alert")
    assert execution.state.current == "FAILED"
    assert _outputs(execution)["report"] == "boom: disk full;"


def test_cli_namespace_files(
    namespace_files: Path, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = tmp_path_factory.mktemp("flows") / "read.yaml"
    flow.write_text(
        "id: read\nnamespace: company.team\ntasks:\n  - id: show\n"
        "    type: io.kestra.plugin.core.debug.Return\n    format: \"{{ read('data/greeting.txt') }}\"\n"
    )
    args = ["run", str(flow), "--fast-forward", "--json", "--namespace-files", str(namespace_files)]
    assert main(args) == 0
    execution = json.loads(capsys.readouterr().out)
    assert execution["taskRunList"][0]["outputs"] == {"value": "hello from a namespace file\n"}
    assert main(["run", str(flow), "--namespace-files", str(flow.parent / "absent")]) == 2


def test_http_function_on_the_embedded_stack() -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b'{"greeting": "hi", "items": [1, 2]}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    flow = f"""
id: call
namespace: company.team
tasks:
  - id: call
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ http('http://127.0.0.1:{server.server_port}/api').greeting }}}}"
"""
    try:
        with LocalKite(environ={}) as kite:
            kite.deploy(flow)
            execution = kite.run("company.team", "call")
    finally:
        server.shutdown()
    assert _outputs(execution)["call"] == "hi"
