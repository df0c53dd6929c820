"""HTTP answered from a table of canned responses, so tests of http() never touch the network."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from engine.resources import HttpError, HttpResponse, HttpStream


class CannedHttpClient:
    def __init__(self, responses: Mapping[tuple[str, str], HttpResponse] | None = None) -> None:
        self._responses = dict(responses or {})
        self.requests: list[tuple[str, str, dict[str, str], bytes | None]] = []

    def request(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> HttpResponse:
        self.requests.append((method, url, headers, body))
        try:
            return self._responses[(method, url)]
        except KeyError:
            raise HttpError(f"no canned response for {method} {url}") from None

    @contextmanager
    def stream(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> Iterator[HttpStream]:
        response = self.request(method, url, headers, body, timeout)
        yield HttpStream(response.status, response.headers, iter([response.body]))
