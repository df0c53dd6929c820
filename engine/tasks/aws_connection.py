"""What Kestra's AWS tasks share: whom they call AWS as (the worker's role, or the task's own keys) and
the call itself (`RunContext.aws`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from engine.resources import AwsConnection
from engine.task_api import RunContext, RunnableTask


class AwsTask(RunnableTask):
    region: str | None = None
    access_key_id: str | None = Field(None, alias="accessKeyId")
    secret_key_id: str | None = Field(None, alias="secretKeyId")
    session_token: str | None = Field(None, alias="sessionToken")
    endpoint_override: str | None = Field(None, alias="endpointOverride")

    def call(
        self, ctx: RunContext, service: str, operation: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        return ctx.aws(
            self.connection(ctx), service, operation, {k: v for k, v in params.items() if v is not None}
        )

    def connection(self, ctx: RunContext) -> AwsConnection:
        def rendered(value: str | None, prop: str) -> str | None:
            return ctx.render(value, prop) if value is not None else None

        return AwsConnection(
            region=rendered(self.region, "region"),
            access_key_id=rendered(self.access_key_id, "accessKeyId"),
            secret_key_id=rendered(self.secret_key_id, "secretKeyId"),
            session_token=rendered(self.session_token, "sessionToken"),
            endpoint_override=rendered(self.endpoint_override, "endpointOverride"),
        )
