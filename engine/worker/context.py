"""RunContext: what a runnable task sees while it runs (rendering, logging, time)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.expressions import ExpressionError, Renderer
from engine.model.execution import TaskRun
from engine.model.logs import LogEntry
from engine.resources import Clock
from engine.worker.services import PortServices


class PropertyRenderError(Exception):
    """An expression failed: names the task, the property and the expression (Kestra's wording)."""


@dataclass(slots=True)
class RunContext:
    task_run: TaskRun
    variables: Mapping[str, Any]
    renderer: Renderer
    services: PortServices
    logs: list[LogEntry] = field(default_factory=list)

    @property
    def clock(self) -> Clock:
        return self.services.clock

    def render(self, template: str, prop: str) -> str:
        try:
            return self.renderer.render(template, self.variables, self.services)
        except ExpressionError as exc:
            raise self._error(prop, exc) from None

    def render_typed(self, template: str, prop: str) -> Any:
        try:
            return self.renderer.render_typed(template, self.variables, self.services)
        except ExpressionError as exc:
            raise self._error(prop, exc) from None

    def render_value(self, value: Any, prop: str) -> Any:
        try:
            return self.renderer.render_value(value, self.variables, self.services)
        except ExpressionError as exc:
            raise self._error(prop, exc) from None

    def _error(self, prop: str, exc: ExpressionError) -> PropertyRenderError:
        return PropertyRenderError(
            f"Unable to render property '{prop}' of task '{self.task_run.task_id}': {exc}"
        )

    def log(self, level: str, message: str) -> None:
        self.logs.append(
            LogEntry(
                execution_id=self.task_run.execution_id,
                level=level,
                message=self.services.mask(message),
                timestamp=self.clock.now(),
                task_run_id=self.task_run.id,
                task_id=self.task_run.task_id,
                attempt_number=max(self.task_run.attempt_number - 1, 0),
            )
        )
