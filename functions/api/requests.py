"""What a route reads from an HTTP API v2 event: repeated query parameters, bodies, multipart forms."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from msgspec import Struct

from engine.creation.uploads import Upload
from engine.model.serde import parse_instant
from engine.model.state import StateType
from functions.api.errors import ApiError


class Form(Struct, frozen=True):
    fields: dict[str, str]
    files: dict[str, Upload]


def query_pairs(event: APIGatewayProxyEventV2) -> list[tuple[str, str]]:
    return parse_qsl(event.raw_query_string or "", keep_blank_values=True)


def query_all(event: APIGatewayProxyEventV2, name: str) -> list[str]:
    """Every value of a repeated parameter (`labels=a:1&labels=b:2`), as sent."""
    return [value for key, value in query_pairs(event) if key == name]


def query(event: APIGatewayProxyEventV2, name: str, default: str | None = None) -> str | None:
    values = query_all(event, name)
    return values[-1] if values else default


def query_int(event: APIGatewayProxyEventV2, name: str, default: int | None = None) -> int | None:
    value = query(event, name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ApiError(400, f"Invalid value for parameter '{name}': {value}") from None


def query_bool(event: APIGatewayProxyEventV2, name: str) -> bool:
    return (query(event, name) or "").lower() == "true"


def body_bytes(event: APIGatewayProxyEventV2) -> bytes:
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(raw)
    return raw.encode() if isinstance(raw, str) else bytes(raw)


def json_body(event: APIGatewayProxyEventV2, empty: Any) -> Any:
    """The body as JSON (`empty` when there is none); malformed JSON is a 400."""
    raw = body_bytes(event)
    if not raw:
        return empty
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, f"Malformed JSON body: {exc}") from None


def header(event: APIGatewayProxyEventV2, name: str) -> str:
    headers: dict[str, Any] = event.get("headers") or {}
    return next((str(v) for k, v in headers.items() if k.lower() == name.lower()), "")


def form(event: APIGatewayProxyEventV2) -> Form:
    """A `multipart/form-data` or urlencoded body; an empty body is an empty form."""
    content_type = header(event, "content-type")
    raw = body_bytes(event)
    if not raw:
        return Form({}, {})
    if content_type.startswith("application/x-www-form-urlencoded"):
        return Form(dict(parse_qsl(raw.decode(), keep_blank_values=True)), {})
    if not content_type.startswith("multipart/form-data"):
        raise ApiError(415, f"Unsupported content type: {content_type or 'none'}; send multipart/form-data")
    message = BytesParser(EmailMessage, policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    if not message.is_multipart():
        # A form without parts (the closing boundary alone) parses as a plain message.
        return Form({}, {})
    fields: dict[str, str] = {}
    files: dict[str, Upload] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            files[name] = Upload(filename, content)
        else:
            fields[name] = content.decode(part.get_content_charset() or "utf-8")
    return Form(fields, files)


def query_instant(event: APIGatewayProxyEventV2, name: str) -> datetime | None:
    """An ISO-8601 date-time query parameter; 422 when it is not one."""
    text = query(event, name)
    if not text:
        return None
    try:
        return parse_instant(text)
    except ValueError:
        raise ApiError(422, f"Invalid entity: {name}: '{text}' is not an ISO-8601 date-time") from None


def state_of(text: str) -> StateType:
    try:
        return StateType(text.upper())
    except ValueError:
        raise ApiError(422, f"Invalid entity: unknown state '{text}'") from None
