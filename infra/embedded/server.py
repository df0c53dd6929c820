"""`kite serve`: the template's HTTP API function over HTTP on the embedded stack, with the pump running
(design §6). Each request becomes the HTTP API v2 event API Gateway would build and goes to the function's
handler as template.yaml names it, so the served API is the deployed one."""

from __future__ import annotations

import base64
import ipaddress
import json
import logging
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from functions.limits import LAMBDA_PAYLOAD_BYTES
from infra.embedded.api_gateway import AWS_IAM, Route, SignatureCheck, route_for
from infra.embedded.clock import VirtualClock
from infra.embedded.lambda_shapes import LambdaContext, http_event
from infra.embedded.local import LocalKite
from infra.embedded.pump import PAST_DUE, Handler, template_handler
from infra.embedded.stack import ACCOUNT_ID

logger = logging.getLogger(__name__)

# How long the pump waits when nothing moved, for a timer or a message sent by a request.
_IDLE_S = 0.02
# A body larger than API Gateway's payload limit is refused there; here too.
MAX_BODY_BYTES = 10 * 1024 * 1024


class ServeError(ValueError):
    """The server cannot start as asked (a bad bind, no HTTP function in the template)."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class LocalServer:
    """`with LocalServer(kite, host, port) as server:` serves until the block ends; `server.url`. Without
    `pump`, the caller pumps (a test that steps the virtual clock itself). With `jump` (and the kite's
    virtual clock), whenever nothing moves the clock jumps to what comes due next: a timer, a schedule's
    date (`kite serve --fast-forward`)."""

    def __init__(
        self,
        kite: LocalKite,
        host: str = "127.0.0.1",
        port: int = 8080,
        *,
        pump: bool = True,
        jump: bool = False,
        parameters: Mapping[str, str] | None = None,
        signatures: SignatureCheck | None = None,
    ) -> None:
        stack = kite.stack
        if stack is None:
            raise ServeError("the embedded stack is not running: enter the LocalKite first")
        functions = [f for f in stack.template.functions if f.http]
        if len(functions) != 1:
            raise ServeError(f"template.yaml must declare one HTTP API function, found {len(functions)}")
        # The routes as deployed with these template parameters (ApiAuth decides whether they need IAM).
        self.routes = [
            Route(r.route_key, r.authorization(stack.template, parameters or {}))
            for r in stack.template.routes
        ]
        if signatures is None and any(r.authorization == AWS_IAM for r in self.routes):
            raise ServeError("routes authorized by AWS_IAM need credentials to check signatures against")
        self.signatures = signatures
        function = functions[0]
        name = stack.physical_name(function.logical_id)
        arn = f"arn:aws:lambda:{stack.region}:{ACCOUNT_ID}:function:{name}"
        self.kite = kite
        self._handler: Handler = template_handler(function)

        def context() -> LambdaContext:
            return LambdaContext(name, arn, function.memory_size, function.timeout)

        self._context: Callable[[], LambdaContext] = context
        self._stop = threading.Event()
        self._one_at_a_time = threading.Lock()
        self._pumps = pump
        self._jump = jump
        self._http = ThreadingHTTPServer((host, port), _request_handler(self))
        self._http.daemon_threads = True
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        host, port = self._http.server_address[:2]
        return f"http://{host if isinstance(host, str) else host.decode()}:{port}"

    def __enter__(self) -> LocalServer:
        self._threads = [threading.Thread(target=self._http.serve_forever, name="kite-http", daemon=True)]
        if self._pumps:
            self._threads.append(threading.Thread(target=self._pump, name="kite-pump", daemon=True))
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._http.shutdown()
        self._http.server_close()
        for thread in self._threads:
            thread.join(timeout=10)

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        # One request at a time, as one Lambda container takes them: the handler keeps the request it
        # serves in module state (powertools' resolver), which a second thread would overwrite (a browser
        # loads a page's modules in parallel).
        with self._one_at_a_time:
            response: dict[str, Any] = self._handler(event, self._context())
        return response

    def _pump(self) -> None:
        pump = self.kite.pump
        assert pump is not None
        while not self._stop.is_set():
            try:
                moved = pump.step()
            except Exception:
                logger.exception("the pump failed a round")
                moved = 0
            if not moved:
                self._stop.wait(_IDLE_S)
                clock = self.kite.clock
                if self._jump and isinstance(clock, VirtualClock) and not pump.ready():
                    due = pump.next_due()
                    if due is not None:
                        clock.advance_to(due + PAST_DUE)


def _request_handler(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    class Request(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._serve()

        do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("%s %s", self.address_string(), format % args)

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                self._reply({"statusCode": 413, "body": "Request Entity Too Large"})
                return
            body = self.rfile.read(length) if length else b""
            target = urlsplit(self.path)
            route = route_for(server.routes, self.command, target.path)
            if route is None:
                self._reply({"statusCode": 404, "body": '{"message":"Not Found"}'})
                return
            event = http_event(
                self.command,
                target.path,
                query=target.query,
                headers=dict(self.headers.items()),
                body=body,
                source_ip=self.client_address[0],
            )
            if len(json.dumps(event, separators=(",", ":"))) > LAMBDA_PAYLOAD_BYTES:
                # What Lambda refuses to take from API Gateway in the cloud: refused here too, not served.
                size = f"{length / 1024 / 1024:.1f} MB"
                message = f"The request body ({size}) makes an event past Lambda's 6 MB: send less at once"
                self._reply({"statusCode": 413, "body": json.dumps({"message": message})})
                return
            event["routeKey"] = event["requestContext"]["routeKey"] = route.key
            if route.authorization == AWS_IAM:
                caller = self._signed_by(body)
                if caller is None:
                    self._reply({"statusCode": 403, "body": '{"message":"Forbidden"}'})
                    return
                event["requestContext"]["authorizer"] = {"iam": caller}
            try:
                response = server.invoke(event)
            except Exception:
                logger.exception("the API function failed")
                response = {"statusCode": 502, "body": '{"message": "Internal Server Error"}'}
            self._reply(response)

        def _signed_by(self, body: bytes) -> dict[str, str] | None:
            assert server.signatures is not None
            url = f"http://{self.headers.get('host', '')}{self.path}"
            headers = dict(self.headers.items())
            return server.signatures.caller(self.command, url, headers, body, datetime.now(UTC))

        def _reply(self, response: dict[str, Any]) -> None:
            raw = response.get("body") or ""
            body = base64.b64decode(raw) if response.get("isBase64Encoded") else str(raw).encode()
            self.send_response(int(response.get("statusCode", 200)))
            headers = {k.lower(): str(v) for k, v in (response.get("headers") or {}).items()}
            headers.setdefault("content-type", "application/json")
            for name, value in headers.items():
                if name not in ("content-length", "connection"):
                    self.send_header(name, value)
            for cookie in response.get("cookies") or []:
                self.send_header("set-cookie", cookie)
            # A HEAD's length is the GET's, which the function says (its body is empty).
            length = headers.get("content-length") if self.command == "HEAD" else None
            self.send_header("content-length", length or str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

    return Request
