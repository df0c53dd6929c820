"""UrllibHttpClient against a real server on 127.0.0.1, and the addresses it must never reach."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address
from typing import Any

import pytest

from engine.resources import HttpError
from infra.system.http import UrllibHttpClient, refusal

TIMEOUT = 5.0


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.startswith("/redirect?to="):
            self._reply(302, b"", {"Location": self.path.removeprefix("/redirect?to=")})
        elif self.path == "/slow":
            time.sleep(1)
            with contextlib.suppress(BrokenPipeError):  # the client has given up waiting
                self._reply(200, b"late")
        elif self.path == "/missing":
            self._reply(404, b'{"message":"Not Found"}', {"Content-Type": "application/json"})
        else:
            self._echo(b"")

    def do_POST(self) -> None:
        if self.path == "/see-other":
            self._reply(303, b"", {"Location": "/after"})
        else:
            self._echo(self.rfile.read(int(self.headers["Content-Length"])))

    def _echo(self, body: bytes) -> None:
        seen = {
            "method": self.command,
            "path": self.path,
            "headers": {name.lower(): value for name, value in self.headers.items()},
            "body": body.decode(),
        }
        self._reply(200, json.dumps(seen).encode(), {"Content-Type": "application/json"})

    def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def client() -> UrllibHttpClient:
    return UrllibHttpClient(allow_loopback=True)


def _seen(body: bytes) -> dict[str, Any]:
    seen: dict[str, Any] = json.loads(body)
    return seen


def test_get(client: UrllibHttpClient, base_url: str) -> None:
    response = client.request("GET", f"{base_url}/todos?limit=2", {"X-Test": "1"}, None, TIMEOUT)
    assert response.status == 200
    assert response.headers["content-type"] == "application/json"
    seen = _seen(response.body)
    assert (seen["method"], seen["path"], seen["headers"]["x-test"]) == ("GET", "/todos?limit=2", "1")


def test_post_json(client: UrllibHttpClient, base_url: str) -> None:
    headers = {"Content-Type": "application/json"}
    response = client.request("POST", f"{base_url}/add", headers, b'{"todo":"x"}', TIMEOUT)
    seen = _seen(response.body)
    assert (seen["method"], seen["body"], seen["headers"]["content-type"]) == (
        "POST",
        '{"todo":"x"}',
        "application/json",
    )


def test_a_failed_status_is_returned_not_raised(client: UrllibHttpClient, base_url: str) -> None:
    response = client.request("GET", f"{base_url}/missing", {}, None, TIMEOUT)
    assert (response.status, response.body) == (404, b'{"message":"Not Found"}')


def test_redirects_are_followed(client: UrllibHttpClient, base_url: str) -> None:
    response = client.request("GET", f"{base_url}/redirect?to=/landed", {}, None, TIMEOUT)
    assert _seen(response.body)["path"] == "/landed"


def test_a_303_after_a_post_becomes_a_get_without_body(client: UrllibHttpClient, base_url: str) -> None:
    headers = {"Content-Type": "text/plain"}
    response = client.request("POST", f"{base_url}/see-other", headers, b"payload", TIMEOUT)
    seen = _seen(response.body)
    assert (seen["method"], seen["path"], seen["body"]) == ("GET", "/after", "")
    assert "content-type" not in seen["headers"]


def test_a_redirect_loop_ends(client: UrllibHttpClient, base_url: str) -> None:
    loop = f"{base_url}/redirect?to=/redirect?to=/redirect?to=/redirect?to=/redirect?to=/redirect?to=/x"
    with pytest.raises(HttpError, match="Too many redirects"):
        client.request("GET", loop, {}, None, TIMEOUT)


@pytest.mark.parametrize(
    "target",
    ["http://169.254.169.254/latest/meta-data/iam/security-credentials/", "file:///etc/passwd"],
)
def test_a_redirect_to_a_refused_target_is_refused(
    client: UrllibHttpClient, base_url: str, target: str
) -> None:
    with pytest.raises(HttpError, match="Refused"):
        client.request("GET", f"{base_url}/redirect?to={target}", {}, None, TIMEOUT)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "https://169.254.169.254/latest/meta-data/",
        "http://169.254.170.2/v2/credentials/x",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[fe80::1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://0.0.0.0/",
        "http://[::]/",
        "http://2852039166/",  # 169.254.169.254 as one decimal number
    ],
)
def test_metadata_link_local_and_unspecified_addresses_are_refused(
    client: UrllibHttpClient, url: str
) -> None:
    with pytest.raises(HttpError, match="Refused"):
        client.request("GET", url, {}, None, TIMEOUT)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "data:,x", "gopher://x/"])
def test_schemes_other_than_http_and_https_are_refused(client: UrllibHttpClient, url: str) -> None:
    with pytest.raises(HttpError, match="only http and https"):
        client.request("GET", url, {}, None, TIMEOUT)


def test_loopback_is_refused_by_default(base_url: str) -> None:
    with pytest.raises(HttpError, match="loopback"):
        UrllibHttpClient().request("GET", f"{base_url}/todos", {}, None, TIMEOUT)
    with pytest.raises(HttpError, match="loopback"):
        UrllibHttpClient().request("GET", "http://[::1]:9001/2018-06-01/runtime/invocation/next", {}, None, 1)


def test_every_resolved_address_is_checked(
    client: UrllibHttpClient, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = int(base_url.rsplit(":", 1)[1])
    answers = [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port)),
    ]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: answers)
    with pytest.raises(HttpError, match=r"'rebind\.test' resolves to 169\.254\.169\.254"):
        client.request("GET", f"http://rebind.test:{port}/", {}, None, TIMEOUT)


def test_a_timeout_is_an_http_error(client: UrllibHttpClient, base_url: str) -> None:
    with pytest.raises(HttpError, match="timed out"):
        client.request("GET", f"{base_url}/slow", {}, None, 0.2)


def test_a_connection_failure_is_an_http_error(client: UrllibHttpClient) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(HttpError, match="failed"):
        client.request("GET", f"http://127.0.0.1:{port}/", {}, None, TIMEOUT)


def test_the_response_size_is_bounded(base_url: str) -> None:
    small = UrllibHttpClient(allow_loopback=True, max_response_bytes=10)
    with pytest.raises(HttpError, match="larger than 10 bytes"):
        small.request("GET", f"{base_url}/todos", {}, None, TIMEOUT)


def test_the_error_names_the_origin_but_not_the_query(client: UrllibHttpClient) -> None:
    with pytest.raises(HttpError) as info:
        client.request("GET", "http://127.0.0.1:1/x?api_key=s3cr3t", {}, None, TIMEOUT)
    assert "http://127.0.0.1:1" in str(info.value)
    assert "s3cr3t" not in str(info.value)


def test_credentials_in_the_url_are_refused(client: UrllibHttpClient) -> None:
    with pytest.raises(HttpError, match="credentials in the URL") as info:
        client.request("GET", "http://user:pw@127.0.0.1:1/", {}, None, TIMEOUT)
    assert "pw" not in str(info.value)


@pytest.mark.parametrize(
    ("address", "allow_loopback", "refused"),
    [
        ("93.184.215.14", False, False),
        ("10.0.0.1", False, False),
        ("127.0.0.1", True, False),
        ("127.0.0.2", False, True),
        ("::1", False, True),
        ("::ffff:127.0.0.1", False, True),
        ("169.254.169.254", True, True),
        ("fd00:ec2::254", True, True),
    ],
)
def test_refusal_rules(address: str, allow_loopback: bool, refused: bool) -> None:
    assert (refusal(ip_address(address), allow_loopback=allow_loopback) is not None) is refused
