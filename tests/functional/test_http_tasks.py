"""http.Request on the embedded stack, against a local server (issue 15)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from engine.model.execution import Execution
from infra.embedded.local import LocalKite


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/big.csv":
            self._big()
        elif self.path == "/products/1":
            self._reply(200, {"id": 1, "title": "Kestra Pen", "price": 100})
        else:
            self._reply(404, {"message": "not here"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode(errors="replace")
        seen = {
            "method": self.command,
            "contentType": self.headers.get("Content-Type"),
            "authorization": self.headers.get("Authorization"),
            "agent": self.headers.get("User-Agent"),
            "body": body,
        }
        self._reply(201, seen)

    do_PUT = do_POST

    def _reply(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _big(self) -> None:
        """25 MB, written a megabyte at a time: larger than any response Kite keeps in memory."""
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(BIG))
        self.end_headers()
        try:
            for n in range(BIG // MEGABYTE):
                self.wfile.write(bytes([ord("a") + n % 26]) * MEGABYTE)
        except (BrokenPipeError, ConnectionResetError):
            pass  # a reader that stops at its cap hangs up

    def log_message(self, format: str, *args: Any) -> None:
        pass


MEGABYTE = 1024 * 1024
BIG = 25 * MEGABYTE


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def _run(source: str) -> tuple[Execution, list[str]]:
    with LocalKite(inline_budget=0) as kite:
        kite.deploy(source)
        namespace, flow_id = "company.team", source.split("id:", 1)[1].split("\n", 1)[0].strip()
        execution = kite.run(namespace, flow_id)
        logs = [entry.message for entry in kite.services.executions.logs(execution.id)]
    return execution, logs


def test_a_request_s_response_is_its_outputs_and_jq_reads_its_body(server: str) -> None:
    # Kestra's example "Make a HTTP request and process its output", on a local server.
    execution, logs = _run(
        f"""id: http_post_request_example
namespace: company.team
tasks:
  - id: send_data
    type: io.kestra.plugin.core.http.Request
    uri: {server}/products/add
    method: POST
    contentType: application/json
    body: |
      {{"title": "Kestra Pen"}}
  - id: print_status
    type: io.kestra.plugin.core.log.Log
    message: '{{{{ outputs.send_data.body | jq(".body") | first }}}} {{{{ outputs.send_data.code }}}}'
  - id: get
    type: io.kestra.plugin.core.http.Request
    uri: {server}/products/1
"""
    )
    assert execution.state.current.value == "SUCCESS"
    post = execution.task_runs.of_task("send_data")[0].outputs
    assert post["code"] == 201 and post["uri"] == f"{server}/products/add"
    assert json.loads(post["body"])["contentType"] == "application/json"
    assert post["headers"]["content-type"] == ["application/json"]
    assert '{"title": "Kestra Pen"}\n 201' in logs
    get = execution.task_runs.of_task("get")[0].outputs
    assert json.loads(get["body"])["price"] == 100


def test_form_data_auth_and_a_failed_status(server: str) -> None:
    execution, logs = _run(
        f"""id: forms
namespace: company.team
tasks:
  - id: login
    type: io.kestra.plugin.core.http.Request
    uri: {server}/login
    method: POST
    headers:
      user-agent: kestra-io
    formData:
      user: user
      password: pass
    options:
      basicAuthUser: admin
      basicAuthPassword: admin
  - id: multipart
    type: io.kestra.plugin.core.http.Request
    uri: {server}/upload
    method: POST
    contentType: multipart/form-data
    formData:
      user: John Doe
    options:
      auth:
        type: BEARER
        token: t0k3n
  - id: missing
    type: io.kestra.plugin.core.http.Request
    uri: {server}/nothing
    allowFailed: true
  - id: fails
    type: io.kestra.plugin.core.http.Request
    uri: {server}/nothing
"""
    )
    login = json.loads(execution.task_runs.of_task("login")[0].outputs["body"])
    assert login["body"] == "user=user&password=pass"
    assert login["contentType"] == "application/x-www-form-urlencoded"
    assert login["authorization"] == "Basic YWRtaW46YWRtaW4="
    assert login["agent"] == "kestra-io"
    multipart = json.loads(execution.task_runs.of_task("multipart")[0].outputs["body"])
    assert multipart["contentType"].startswith("multipart/form-data; boundary=")
    assert 'name="user"\r\n\r\nJohn Doe' in multipart["body"]
    assert multipart["authorization"] == "Bearer t0k3n"
    assert execution.task_runs.of_task("missing")[0].outputs["code"] == 404
    assert execution.task_runs.of_task("fails")[0].state.current.value == "FAILED"
    assert "Failed http request with response code '404'" in logs
    assert execution.state.current.value == "FAILED"


def test_what_kite_cannot_honour_is_refused_when_the_flow_is_read() -> None:
    from engine.flow.loader import InvalidFlowError, parse_flow

    source = "id: f\nnamespace: demo\ntasks:\n  - id: r\n    type: io.kestra.plugin.core.http.Request\n"
    for extra, message in [
        ("    uri: https://x\n    sslOptions:\n      insecureTrustAllCertificates: true\n", "certificates"),
        ("    uri: https://x\n    encryptBody: true\n", "encryptBody is not supported"),
        ("    uri: https://x\n    options:\n      followRedirects: false\n", "follows redirects"),
    ]:
        with pytest.raises(InvalidFlowError, match=message):
            parse_flow(source + extra)


def test_metadata_addresses_stay_out_of_reach() -> None:
    execution, logs = _run(
        """id: metadata
namespace: company.team
tasks:
  - id: steal
    type: io.kestra.plugin.core.http.Request
    uri: http://169.254.169.254/latest/meta-data/
"""
    )
    assert execution.state.current.value == "FAILED"
    assert any("link-local or instance metadata address" in line for line in logs)


def test_a_download_lands_in_storage_for_the_next_task(server: str) -> None:
    execution, logs = _run(
        f"""id: download
namespace: company.team
tasks:
  - id: extract
    type: io.kestra.plugin.core.http.Download
    uri: {server}/products/1
  - id: read
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ read(outputs.extract.uri) | jq('.title') | first }}}}"
  - id: empty
    type: io.kestra.plugin.core.http.Download
    uri: {server}/nothing
    allowFailed: true
"""
    )
    assert execution.state.current.value == "SUCCESS"
    extract = execution.task_runs.of_task("extract")[0]
    assert extract.outputs["uri"].startswith("kestra:///company/team/download/executions/")
    assert extract.outputs["uri"].endswith("/1")
    assert extract.outputs["code"] == 200 and extract.outputs["length"] > 0
    assert "Kestra Pen" in logs
    assert execution.task_runs.of_task("empty")[0].outputs["code"] == 404


def test_a_download_larger_than_memory_allows_is_streamed_into_storage(server: str) -> None:
    """A response is capped at 10 MB when it is read (http(), http.Request); a download is not: it goes
    to S3 as it comes, in multipart parts."""
    execution, logs = _run(
        f"""id: big
namespace: company.team
tasks:
  - id: fetch
    type: io.kestra.plugin.core.http.Download
    uri: {server}/big.csv
  - id: size
    type: io.kestra.plugin.core.storage.Size
    uri: "{{{{ outputs.fetch.uri }}}}"
  - id: read_it
    type: io.kestra.plugin.core.http.Request
    uri: {server}/big.csv
    allowFailure: true
"""
    )
    fetch = execution.task_runs.of_task("fetch")[0]
    assert fetch.outputs["length"] == BIG and fetch.outputs["uri"].endswith("/big.csv")
    assert execution.task_runs.of_task("size")[0].outputs == {"size": BIG}
    assert execution.task_runs.of_task("read_it")[0].state.current.value == "WARNING"
    assert any("response larger than 10485760 bytes" in line for line in logs)
