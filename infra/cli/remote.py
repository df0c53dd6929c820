"""The `kite` commands against a server (`--server URL`): Kestra's REST API over HTTP, with Basic
credentials, a bearer token, or (a stack deployed with ApiAuth AWS_IAM) requests signed with SigV4. Any Kite
or Kestra 1.x server answers these routes."""

from __future__ import annotations

import base64
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from msgspec import Struct

from engine.creation.uploads import Upload
from engine.model.execution import Execution
from engine.model.serde import execution_from_json

TENANT_PATH = "/api/v1/main"
_POLL_S = 0.5


class RemoteError(Exception):
    """The server refused: its status, Kestra's error message and each single error's message."""

    def __init__(self, status: int, message: str, errors: Sequence[str] = ()) -> None:
        super().__init__("\n".join(errors) if errors else message)
        self.status = status
        self.message = message
        self.errors = list(errors)


# Headers that sign a request: (method, url, headers, body) → the headers to add.
Signer = Callable[[str, str, Mapping[str, str], bytes], Mapping[str, str]]
_EXECUTE_API_HOST = re.compile(r"^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$")


def sigv4_signer(url: str) -> Signer:
    """Signs as API Gateway's AWS_IAM routes check: with the AWS credentials this process finds (the
    environment, a profile, a role), for the region in an execute-api host name or else the configured one."""
    session = botocore.session.get_session()
    credentials = session.get_credentials()
    if credentials is None:
        raise RemoteError(0, "--aws-sigv4 found no AWS credentials (environment, profile or role)")
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    matched = _EXECUTE_API_HOST.match(host)
    region = matched.group(1) if matched else session.get_config_variable("region")
    if not region:
        raise RemoteError(0, f"--aws-sigv4 cannot tell the region of {url}: set AWS_REGION")

    def sign(method: str, target: str, headers: Mapping[str, str], body: bytes) -> Mapping[str, str]:
        request = AWSRequest(method=method, url=target, data=body, headers=dict(headers))
        SigV4Auth(credentials.get_frozen_credentials(), "execute-api", region).add_auth(request)
        return dict(request.headers.items())

    return sign


class Server(Struct, frozen=True):
    url: str
    user: str | None = None  # USER:PASSWORD
    token: str | None = None
    signer: Signer | None = None

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Sequence[tuple[str, str]] = (),
        body: bytes | None = None,
        content_type: str | None = None,
    ) -> Any:
        target = self.url.rstrip("/") + TENANT_PATH + path
        if query:
            target += "?" + urllib.parse.urlencode(list(query))
        headers = {"Content-Type": content_type} if content_type else {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        elif self.user:
            headers["Authorization"] = "Basic " + base64.b64encode(self.user.encode()).decode()
        elif self.signer is not None:
            headers = {**headers, **self.signer(method, target, headers, body or b"")}
        request = urllib.request.Request(target, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            raise RemoteError(error.code, *_message(error.read(), error.code)) from None
        except urllib.error.URLError as error:
            raise RemoteError(0, f"cannot reach {self.url}: {error.reason}") from None
        return json.loads(raw) if raw else None

    def push(self, namespace: str, sources: Sequence[str]) -> list[str]:
        """Create or update these flows of one namespace (the others stay)."""
        body = "\n---\n".join(source.rstrip("\n") + "\n" for source in sources).encode()
        pushed = self.request(
            "POST",
            f"/flows/{_segment(namespace)}",
            query=[("delete", "false")],
            body=body,
            content_type="application/x-yaml",
        )
        return [f"{flow['namespace']}.{flow['id']} revision {flow['revision']}" for flow in pushed]

    def start(
        self,
        namespace: str,
        flow_id: str,
        inputs: Mapping[str, Any],
        labels: Sequence[tuple[str, str]],
        files: Mapping[str, Upload],
    ) -> Execution:
        body, content_type = multipart(inputs, files)
        started = self.request(
            "POST",
            f"/executions/{_segment(namespace)}/{_segment(flow_id)}",
            query=[("labels", f"{key}:{value}") for key, value in labels],
            body=body,
            content_type=content_type,
        )
        return execution_from_json(started)

    def execution(self, execution_id: str) -> Execution:
        return execution_from_json(self.request("GET", f"/executions/{_segment(execution_id)}"))

    def follow(self, execution_id: str, timeout_s: float, on_change: Any) -> Execution:
        """Poll until the execution has ended, calling `on_change` with each new look."""
        deadline = time.monotonic() + timeout_s
        while True:
            execution = self.execution(execution_id)
            on_change(execution)
            if execution.state.current.terminated or time.monotonic() > deadline:
                return execution
            time.sleep(_POLL_S)

    def logs(self, execution_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.request("GET", f"/logs/{_segment(execution_id)}")
        return found


def now() -> datetime:
    return datetime.now(UTC)


def _segment(text: str) -> str:
    return urllib.parse.quote(text, safe="")


def _message(raw: bytes, status: int) -> tuple[str, list[str]]:
    """Kestra's error body: its message, and each error's."""
    try:
        body = json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace") or f"HTTP {status}", []
    if not isinstance(body, dict):
        return str(body), []
    details = [
        str(e.get("message", "")) for e in body.get("_embedded", {}).get("errors", []) if e.get("message")
    ]
    return str(body.get("message") or f"HTTP {status}"), details


def multipart(inputs: Mapping[str, Any], files: Mapping[str, Upload]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in inputs.items():
        text = value if isinstance(value, str) else json.dumps(value)
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{text}\r\n'.encode()
        )
    for name, upload in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{upload.name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        parts.append(head.encode() + upload.content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
