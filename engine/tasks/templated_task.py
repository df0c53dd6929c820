"""io.kestra.plugin.core.templating.TemplatedTask: a task whose whole specification is rendered, then run —
a runnable task only, and never another TemplatedTask."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import ValidationError

from engine.model.yaml_text import YamlError, load_yaml_text
from engine.task_api import RunContext, RunnableTask, TaskFailedError, task_type
from engine.task_api.registry import canonical_type, task_class

NAME = "io.kestra.plugin.core.templating.TemplatedTask"


@task_type(NAME, "io.kestra.core.tasks.templating.TemplatedTask")
class TemplatedTask(RunnableTask):
    inline: ClassVar[bool] = False

    spec: str

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        text = ctx.render(self.spec, "spec")
        try:
            declared = load_yaml_text(text)
        except YamlError as exc:
            raise TaskFailedError(f"The templated task specification is not YAML: {exc}") from None
        if not isinstance(declared, dict) or not isinstance(declared.get("type"), str):
            raise TaskFailedError("The templated task specification must be a map with a type")
        kind = canonical_type(declared["type"])
        if kind == NAME:
            raise TaskFailedError(f"The templated task cannot be of type '{NAME}'")
        cls = task_class(kind)
        if cls is None or not issubclass(cls, RunnableTask):
            raise TaskFailedError("The templated task must be a runnable task")
        try:
            task = cls.model_validate({**declared, "id": declared.get("id", self.id)})
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise TaskFailedError(f"Invalid templated task: {problems}") from None
        return task.run(ctx)
