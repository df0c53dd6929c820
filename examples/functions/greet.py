"""A task function: deploy it as a Lambda (handler `greet.handler`) and call it from a flow as the task
type it is registered under, or run it locally:

    kite run examples/functions/invoke_greet.yaml --function greet=examples.functions.greet:handler

or, registered as a task type (`type: com.example.Greet` in a flow):

    kite run FLOW.yaml --function com.example.Greet=examples.functions.greet:handler
"""

from __future__ import annotations

from typing import Any

from functions.task_sdk import TaskContext, task


@task
def handler(properties: dict[str, Any], context: TaskContext) -> dict[str, Any]:
    name = properties.get("name")
    if not name:
        raise ValueError("a name is required")
    context.log("INFO", f"greeting {name} in task run {context.task_run.get('id')}")
    return {"greeting": f"Hello {name}!", "letters": len(str(name))}
