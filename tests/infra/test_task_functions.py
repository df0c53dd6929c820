"""How Lambda's Invoke answers become a task's result or its failure (the deployed path of task functions
and aws.lambda.Invoke; moto runs no function code, so Lambda's answers are given here)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from engine.resources import AwsConnection, AwsError, FunctionError
from infra.aws.task_functions import LambdaFunctions, LocalFunctions


class Lambda:
    def __init__(self, response: dict[str, Any] | AwsError) -> None:
        self.response = response
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def call(
        self, connection: AwsConnection, service: str, operation: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        self.calls.append((service, operation, dict(params)))
        if isinstance(self.response, AwsError):
            raise self.response
        return self.response


def test_the_payload_goes_as_json_and_the_answer_comes_back_as_bytes() -> None:
    aws = Lambda({"StatusCode": 200, "Payload": b'{"outputs": {"a": 1}}'})
    assert LambdaFunctions(aws).invoke(AwsConnection(), "greet", {"x": [1]}) == b'{"outputs": {"a": 1}}'
    assert aws.calls == [("lambda", "invoke", {"FunctionName": "greet", "Payload": b'{"x": [1]}'})]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (json.dumps({"errorType": "ValueError", "errorMessage": "no name"}).encode(), "ValueError: no name"),
        (json.dumps({"errorMessage": "Timed out after 3 s"}).encode(), "Timed out after 3 s"),
        (b"plain words", "plain words"),
        (b"", "Function 'greet' failed"),
    ],
)
def test_a_function_error_fails_with_the_functions_message(payload: bytes, message: str) -> None:
    aws = Lambda({"StatusCode": 200, "FunctionError": "Unhandled", "Payload": payload})
    with pytest.raises(FunctionError, match=message):
        LambdaFunctions(aws).invoke(AwsConnection(), "greet", {})


def test_a_refused_invoke_is_a_function_error() -> None:
    aws = Lambda(AwsError("AccessDeniedException: not authorized to perform lambda:InvokeFunction"))
    with pytest.raises(FunctionError, match="AccessDenied"):
        LambdaFunctions(aws).invoke(AwsConnection(), "greet", {})


def test_local_functions_answer_by_name_or_arn_and_leave_the_others_to_lambda() -> None:
    aws = Lambda({"Payload": b'"from lambda"'})
    local = LocalFunctions({"greet": lambda event, _: {"seen": event}}, LambdaFunctions(aws))
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:greet:live"
    assert json.loads(local.invoke(AwsConnection(), arn, {"a": 1})) == {"seen": {"a": 1}}
    assert local.invoke(AwsConnection(), "other", {}) == b'"from lambda"'
