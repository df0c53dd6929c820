"""The `Functions` port: Lambda's Invoke, as the worker's role or a task's keys (`aws.lambda.Invoke`, task
functions); and local stand-ins, run in-process, for `kite run --function` (moto runs no Lambda code)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from engine.resources import Aws, AwsConnection, AwsError, FunctionError, Functions

Handler = Callable[[dict[str, Any], Any], Any]


class LambdaFunctions:
    def __init__(self, aws: Aws) -> None:
        self._aws = aws

    def invoke(self, connection: AwsConnection, name: str, payload: Mapping[str, Any]) -> bytes:
        params = {"FunctionName": name, "Payload": json.dumps(payload).encode()}
        try:
            response = self._aws.call(connection, "lambda", "invoke", params)
        except AwsError as exc:
            raise FunctionError(str(exc)) from None
        body: bytes = response.get("Payload") or b""
        if response.get("FunctionError"):
            raise FunctionError(_error_message(body) or f"Function '{name}' failed")
        return body


class LocalFunctions:
    """Functions of this process by name (`kite run --function greet=module:handler`); the others are
    Lambda's."""

    def __init__(self, handlers: Mapping[str, Handler], fallback: Functions) -> None:
        self._handlers = dict(handlers)
        self._fallback = fallback

    def invoke(self, connection: AwsConnection, name: str, payload: Mapping[str, Any]) -> bytes:
        handler = self._handlers.get(name) or self._handlers.get(
            name.rsplit(":function:", 1)[-1].split(":", maxsplit=1)[0]
        )
        if handler is None:
            return self._fallback.invoke(connection, name, payload)
        try:
            answer = handler(json.loads(json.dumps(payload)), None)
        except Exception as exc:  # the function's own failure, as Lambda reports it
            raise FunctionError(f"{type(exc).__name__}: {exc}") from None
        return answer if isinstance(answer, bytes) else json.dumps(answer).encode()


def _error_message(body: bytes) -> str | None:
    try:
        answer = json.loads(body)
    except ValueError:
        return body.decode(errors="replace") or None
    if isinstance(answer, dict) and answer.get("errorMessage"):
        kind = answer.get("errorType")
        return f"{kind}: {answer['errorMessage']}" if kind else str(answer["errorMessage"])
    return None
