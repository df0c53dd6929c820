"""io.kestra.plugin.aws.lambda.Invoke: a Lambda function called with a rendered payload; its response is a
file of the execution's storage (responses may be large), a function error fails the task."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from engine.task_api import RunContext, task_type
from engine.tasks.aws_connection import AwsTask


@task_type("io.kestra.plugin.aws.lambda.Invoke")
class Invoke(AwsTask):
    function_arn: str = Field(alias="functionArn")
    function_payload: dict[str, Any] | None = Field(None, alias="functionPayload")

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        name = ctx.render(self.function_arn, "functionArn")
        payload = ctx.render_value(self.function_payload or {}, "functionPayload")
        response = ctx.invoke_function(self.connection(ctx), name, payload)
        return {
            "uri": ctx.put_file("response.json", response),
            "contentLength": len(response),
            "contentType": "application/json",
        }
