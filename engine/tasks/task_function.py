"""Task functions: task types a deployment adds (`KITE_TASK_FUNCTIONS`, `kite run --function`), each run by
a Lambda function written with `functions.task_sdk.task`. The worker invokes it with the task's rendered
properties and its task run; it answers with outputs and log lines, or an error that fails the attempt.
Retries, timeouts and outputs are the worker's, as for a built-in task."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ConfigDict

from engine.resources import AwsConnection
from engine.task_api import RunContext, RunnableTask, TaskFailedError, task_type
from engine.task_api.registry import FUNCTION_TAG, function_of

# What a function's log lines may say of their level.
_LEVELS = frozenset({"TRACE", "DEBUG", "INFO", "WARN", "ERROR"})


@task_type(FUNCTION_TAG)
class TaskFunction(RunnableTask):
    model_config = RunnableTask.model_config | ConfigDict(extra="allow")

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        function = function_of(self.type)
        if function is None:
            raise TaskFailedError(f"No function runs the task type '{self.type}'")
        run = ctx.task_run
        payload = {
            "type": self.type,
            "properties": ctx.render_value(dict(self.model_extra or {}), "properties"),
            "taskRun": {
                "id": run.id,
                "taskId": run.task_id,
                "executionId": run.execution_id,
                "namespace": run.namespace,
                "flowId": run.flow_id,
                "value": run.value,
                "attemptNumber": run.attempt_number,
            },
        }
        response = ctx.invoke_function(AwsConnection(), function, payload)
        try:
            answer = json.loads(response or b"{}")
        except ValueError:
            raise TaskFailedError(f"Function '{function}' answered no JSON") from None
        if not isinstance(answer, dict):
            raise TaskFailedError(f"Function '{function}' answered no JSON object")
        for line in answer.get("logs") or ():
            level = str(line.get("level", "INFO")).upper() if isinstance(line, dict) else "INFO"
            message = str(line.get("message", "")) if isinstance(line, dict) else str(line)
            ctx.log(level if level in _LEVELS else "INFO", message)
        if answer.get("error"):
            raise TaskFailedError(str(answer["error"]))
        outputs = answer.get("outputs") or {}
        if not isinstance(outputs, dict):
            raise TaskFailedError(f"Function '{function}' answered outputs that are no map")
        return outputs
