"""The HttpClient port on urllib, for the http() expression function.

Flows are untrusted, and the instance and container metadata endpoints (169.254.169.254, 169.254.170.2,
fd00:ec2::254) hand out the function's AWS credentials to whoever asks, as does the Lambda runtime API on
loopback. So every connection is made to an address checked here, never to a name resolved again later:
the check and the connection cannot disagree (DNS rebinding), and a redirect is one more connection, checked
the same way. Redirects are followed here rather than by urllib, whose handler also accepts ftp:// targets.
"""

from __future__ import annotations

import http.client
import socket
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from typing import Any
from urllib.parse import urljoin, urlsplit

from engine.resources import HttpError, HttpResponse, HttpStream

MAX_REDIRECTS = 5
DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024
_CHUNK_BYTES = 1024 * 1024

_SCHEMES = frozenset({"http", "https"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_EC2_METADATA_V6 = ip_address("fd00:ec2::254")
# The NAT64 well-known prefix reaches the IPv4 address in its last 32 bits.
_NAT64 = ip_network("64:ff9b::/96")

IPAddress = IPv4Address | IPv6Address
# What a socket needs to connect: family, type, protocol and socket address.
_Target = tuple[socket.AddressFamily, socket.SocketKind, int, Any]


def refusal(address: IPAddress, *, allow_loopback: bool) -> str | None:
    """Why a connection to `address` is refused, or None when it is allowed."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        return refusal(embedded, allow_loopback=allow_loopback)
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_link_local or address == _EC2_METADATA_V6:
        return "a link-local or instance metadata address"
    if address.is_loopback and not allow_loopback:
        return "a loopback address"
    return None


def _embedded_ipv4(address: IPAddress) -> IPv4Address | None:
    if not isinstance(address, IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


class _Guard:
    """Resolves a host, refuses it if any of its addresses is refused, and connects to a checked one."""

    def __init__(self, allow_loopback: bool) -> None:
        self._allow_loopback = allow_loopback

    def connect(
        self, address: tuple[str, int], timeout: float | None = None, _source_address: object = None
    ) -> socket.socket:
        """Stands in for `socket.create_connection`; urllib never asks for a source address."""
        host, port = address
        error: OSError | None = None
        for family, kind, proto, sockaddr in self._resolve(host, port):
            sock = socket.socket(family, kind, proto)
            try:
                sock.settimeout(timeout)
                sock.connect(sockaddr)
            except OSError as exc:
                sock.close()
                error = exc
            else:
                return sock
        raise error or OSError(f"no address to connect to for {host}")

    def _resolve(self, host: str, port: int) -> list[_Target]:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise HttpError(f"Cannot resolve host '{host}': {exc}") from None
        # Every address is checked, not just the one tried first: another may be tried if that one fails.
        targets: list[_Target] = [
            (family, kind, proto, sockaddr) for family, kind, proto, _, sockaddr in infos
        ]
        for *_, sockaddr in targets:
            address = ip_address(sockaddr[0])
            reason = refusal(address, allow_loopback=self._allow_loopback)
            if reason is not None:
                raise HttpError(f"Refused: host '{host}' resolves to {address}, {reason}")
        return targets


def _guarded(base: type[http.client.HTTPConnection], guard: _Guard) -> Callable[..., Any]:
    """A connection factory for urllib's `do_open` whose sockets come from the guard."""

    def factory(host: str, **kwargs: Any) -> http.client.HTTPConnection:
        connection = base(host, **kwargs)
        connection._create_connection = guard.connect  # type: ignore[attr-defined]
        return connection

    return factory


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, guard: _Guard) -> None:
        super().__init__()
        self._factory = _guarded(http.client.HTTPConnection, guard)

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._factory, req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, guard: _Guard) -> None:
        super().__init__()
        self._factory = _guarded(http.client.HTTPSConnection, guard)

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._factory, req)


class UrllibHttpClient:
    def __init__(
        self, *, allow_loopback: bool = False, max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    ) -> None:
        guard = _Guard(allow_loopback)
        # A bare OpenerDirector: no proxy from the environment (it would connect for us, unchecked), no
        # file://, ftp:// or data: handlers, no redirect handler, and non-2xx responses come back as they are.
        self._opener = urllib.request.OpenerDirector()
        self._opener.add_handler(_GuardedHTTPHandler(guard))
        self._opener.add_handler(_GuardedHTTPSHandler(guard))
        self._max_response_bytes = max_response_bytes

    def request(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> HttpResponse:
        with self.stream(method, url, headers, body, timeout) as response:
            data = bytearray()
            for chunk in response.chunks:
                data += chunk
                if len(data) > self._max_response_bytes:
                    origin = _checked_origin(url)
                    raise HttpError(
                        f"{method} {origin}: response larger than {self._max_response_bytes} bytes"
                    )
            return HttpResponse(response.status, response.headers, bytes(data))

    @contextmanager
    def stream(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> Iterator[HttpStream]:
        """Redirects followed (each hop checked), then the final response's body read as it comes."""
        for _ in range(MAX_REDIRECTS + 1):
            origin = _checked_origin(url)
            request = urllib.request.Request(url, data=body, headers=headers, method=method)
            try:
                raw = self._opener.open(request, timeout=timeout)
            except (OSError, http.client.HTTPException, ValueError) as exc:
                # The origin only: a query string may carry a secret.
                raise HttpError(f"{method} {origin} failed: {exc}") from None
            with raw:
                received = _header_dict(raw.headers.items())
                location = received.get("location")
                if raw.status in _REDIRECTS and location is not None:
                    target = urljoin(url, location)
                    method, headers, body = _redirected(
                        raw.status, method, headers, body, source=url, target=target
                    )
                    url = target
                    continue
                yield HttpStream(raw.status, received, _chunks(raw, method, origin))
                return
        raise HttpError(f"Too many redirects (more than {MAX_REDIRECTS})")


def _chunks(raw: Any, method: str, origin: str) -> Iterator[bytes]:
    try:
        while chunk := raw.read(_CHUNK_BYTES):
            yield chunk
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise HttpError(f"{method} {origin} failed: {exc}") from None


def _checked_origin(url: str) -> str:
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError as exc:
        raise HttpError(f"Invalid URL: {exc}") from None
    if parts.scheme.lower() not in _SCHEMES:
        raise HttpError(f"Refused: only http and https URLs are allowed, not '{parts.scheme}:'")
    if not hostname:
        raise HttpError("Invalid URL: no host")
    if "@" in parts.netloc:
        # urllib would take `user:password@host` for a host name; credentials go in a header instead.
        raise HttpError("Invalid URL: credentials in the URL are not supported, send an Authorization header")
    return f"{parts.scheme}://{parts.netloc}"


def _redirected(
    status: int, method: str, headers: dict[str, str], body: bytes | None, *, source: str, target: str
) -> tuple[str, dict[str, str], bytes | None]:
    """The request to send to `target`, the way Apache HttpClient (Kestra's client) follows redirects."""
    if (status == 303 and method not in ("GET", "HEAD")) or (status in (301, 302) and method == "POST"):
        method, body = "GET", None
        headers = {k: v for k, v in headers.items() if k.lower() not in ("content-type", "content-length")}
    if urlsplit(source).netloc != urlsplit(target).netloc:
        # Credentials meant for one host are not handed to the next.
        headers = {k: v for k, v in headers.items() if k.lower() not in ("authorization", "cookie")}
    return method, headers, body


def _header_dict(items: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Header names lower-cased; a repeated header's values joined as HTTP allows."""
    headers: dict[str, str] = {}
    for name, value in items:
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers
