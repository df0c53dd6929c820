"""Kestra's ``http()`` function (``HttpFunction``, Kestra 1.x): an HTTP request made while rendering.

``http(uri, method='GET', query=None, body=None, contentType='application/json', headers=None,
options=None, accept='application/json')``, arguments positional in that order or named. The request
goes through the ``http(method, url, headers, body)`` service hook; the response body comes back parsed:
YAML when the response says it is YAML, JSON otherwise. A status of 400 or more is an error unless
``options.allowFailed`` is true.

One deliberate difference: Kestra fails on a response body that is neither YAML nor JSON, Kite returns it
as text.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from email.message import Message
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from msgspec import Struct

from engine.expressions.errors import EvalError
from engine.expressions.formatting import to_yaml
from engine.expressions.state import RenderState, service_hook
from engine.expressions.values import java_string, to_json
from engine.model.yaml_text import YamlError, load_yaml_text
from engine.resources import HttpResponse

DEFAULT_MEDIA_TYPE = "application/json"
USER_AGENT = "Kestra"
_YAML_TYPES = frozenset({"application/x-yaml", "application/yaml"})
# Kite has its own request timeout, and these two only change what Kestra logs or how it decodes text.
_IGNORED_OPTIONS = frozenset({"timeout", "logs", "defaultCharset"})
_OPTIONS = frozenset({"auth", "allowFailed", "allowedResponseCodes", "followRedirects"}) | _IGNORED_OPTIONS


def fn_http(  # noqa: PLR0917 - Pebble maps positional arguments by name, in this order
    state: RenderState,
    uri: Any = None,
    method: Any = "GET",
    query: Any = None,
    body: Any = None,
    contentType: Any = None,
    headers: Any = None,
    options: Any = None,
    accept: Any = None,
) -> Any:
    if uri is None:
        raise EvalError("The 'http' function expects an argument 'uri'.")
    settings = _Options.of(options)
    request_headers = _headers(headers, settings.authorization)
    request_headers["Accept"] = DEFAULT_MEDIA_TYPE if accept is None else java_string(accept)
    payload = None
    if body is not None:
        media_type = DEFAULT_MEDIA_TYPE if contentType is None else java_string(contentType)
        payload = _encode(state, body, media_type)
        request_headers["Content-Type"] = media_type
    verb = java_string(method).upper()
    response: HttpResponse = service_hook(state, "http", "http")(
        verb, _url(uri, query), request_headers, payload
    )
    state.budget.check_size(len(response.body))
    if settings.failed(response.status):
        raise EvalError(
            "Failed to execute HTTP Request, server respond with status "
            f"{response.status} : {_reason(response.status)}"
        )
    return _decode(response)


class _Options(Struct, frozen=True):
    """The part of Kestra's ``HttpConfiguration`` that Kite honours."""

    authorization: str | None = None
    allow_failed: bool = False
    allowed_codes: frozenset[int] = frozenset()

    @staticmethod
    def of(options: Any) -> _Options:
        if options is None:
            return _Options()
        if not isinstance(options, Mapping):
            raise EvalError("Function [http]: 'options' must be a map")
        unknown = sorted({java_string(name) for name in options} - _OPTIONS)
        if unknown:
            raise EvalError(f"Function [http]: unsupported option(s): {', '.join(unknown)}")
        if not _flag(options.get("followRedirects", True)):
            raise EvalError("Function [http]: 'followRedirects: false' is not supported")
        return _Options(
            authorization=_authorization(options.get("auth")),
            allow_failed=_flag(options.get("allowFailed", False)),
            allowed_codes=frozenset(
                int(java_string(code)) for code in _values(options.get("allowedResponseCodes"))
            ),
        )

    def failed(self, status: int) -> bool:
        if status >= 400 and not self.allow_failed:
            return True
        return bool(self.allowed_codes) and status not in self.allowed_codes


def _flag(value: Any) -> bool:
    return java_string(value).strip().lower() == "true"


def _values(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _authorization(auth: Any) -> str | None:
    if auth is None:
        return None
    if not isinstance(auth, Mapping):
        raise EvalError("Function [http]: 'options.auth' must be a map")
    kind = java_string(auth.get("type")).upper()
    if kind == "BASIC":
        credentials = f"{java_string(auth.get('username'))}:{java_string(auth.get('password'))}"
        return "Basic " + base64.b64encode(credentials.encode()).decode("ascii")
    if kind == "BEARER":
        return f"Bearer {java_string(auth.get('token'))}"
    raise EvalError(f"Function [http]: unsupported auth type '{kind}', expected BASIC or BEARER")


def _headers(headers: Any, authorization: str | None) -> dict[str, str]:
    """The caller's headers (a list value is sent as one comma-separated header, which HTTP deems equal),
    without those that other arguments set."""
    if headers is not None and not isinstance(headers, Mapping):
        raise EvalError("Function [http]: 'headers' must be a map")
    replaced = {"content-type", "accept"} | ({"authorization"} if authorization else set())
    result = {
        java_string(name): ", ".join(java_string(v) for v in _values(value))
        for name, value in (headers or {}).items()
        if java_string(name).lower() not in replaced
    }
    if authorization:
        result["Authorization"] = authorization
    if not any(name.lower() == "user-agent" for name in result):
        result["User-Agent"] = USER_AGENT
    return result


def _url(uri: Any, query: Any) -> str:
    url = java_string(uri)
    if query is None:
        return url
    if not isinstance(query, Mapping):
        raise EvalError("Function [http]: 'query' must be a map")
    pairs = [(java_string(name), java_string(v)) for name, value in query.items() for v in _values(value)]
    if not pairs:
        return url
    parts = urlsplit(url)
    extra = urlencode(pairs)
    return urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))


def _content_type(value: str) -> tuple[str, str | None]:
    """The media type, lower-cased, and the charset parameter if any."""
    message = Message()
    message["content-type"] = value
    charset = message.get_param("charset")
    return message.get_content_type(), charset if isinstance(charset, str) else None


def _encode(state: RenderState, body: Any, media_type: str) -> bytes:
    kind, charset = _content_type(media_type)
    if isinstance(body, str):
        # Like Micronaut's CharSequence writer: a string is sent as it is, whatever the content type.
        text = body
    elif kind.endswith(("/json", "+json")):
        text = to_json(body, state.budget.max_output)
    elif kind in _YAML_TYPES:
        text = to_yaml(body)
    else:
        raise EvalError(f"Function [http]: cannot write a map or list body as '{media_type}'")
    state.budget.check_size(len(text))
    return _encoded(text, charset)


def _encoded(text: str, charset: str | None) -> bytes:
    try:
        return text.encode(charset or "utf-8")
    except LookupError:
        raise EvalError(f"Function [http]: unknown charset '{charset}'") from None


def _decode(response: HttpResponse) -> Any:
    if not response.body:
        return None
    content_type = next((v for k, v in response.headers.items() if k.lower() == "content-type"), "")
    kind, charset = _content_type(content_type)
    try:
        text = response.body.decode(charset or "utf-8", errors="replace")
    except LookupError:
        text = response.body.decode("utf-8", errors="replace")
    if kind in _YAML_TYPES:
        try:
            return load_yaml_text(text)
        except YamlError as exc:
            raise EvalError(f"Function [http]: the response is not valid YAML: {exc}") from exc
    try:
        return json.loads(text)
    except ValueError:
        return text


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
