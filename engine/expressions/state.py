"""Per-render state shared by operators, filters and functions (and nested render() calls)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from msgspec import Struct, field

from engine.expressions.errors import EvalError, LimitExceededError


class Budget(Struct):
    max_output: int
    max_loops: int
    max_steps: int
    output: int = 0
    loops: int = 0
    steps: int = 0
    depth: int = 0

    def charge_output(self, size: int) -> None:
        self.output += size
        if self.output > self.max_output:
            raise LimitExceededError(f"Rendered output exceeds the maximum of {self.max_output} characters")

    def check_size(self, size: int) -> None:
        if size > self.max_output:
            raise LimitExceededError(f"Rendered value exceeds the maximum of {self.max_output} characters")

    def charge_loops(self, count: int) -> None:
        self.loops += count
        if self.loops > self.max_loops:
            raise LimitExceededError(f"Loop iterations exceed the maximum of {self.max_loops}")

    def charge_step(self) -> None:
        self.steps += 1
        if self.steps > self.max_steps:
            raise LimitExceededError(f"Template evaluation exceeds the maximum of {self.max_steps} steps")


class Rerender(Protocol):
    def __call__(self, template: str, state: RenderState) -> str: ...


class RenderState(Struct):
    context: Mapping[str, Any]
    services: Any
    budget: Budget
    rerender: Rerender
    render_value: Callable[[Any, RenderState], Any]
    tags: tuple[tuple[str, int], ...] = ()
    tag: int = -1
    extra: dict[str, Any] = field(default_factory=dict)

    def child(self, tags: tuple[tuple[str, int], ...]) -> RenderState:
        return RenderState(
            context=self.context,
            services=self.services,
            budget=self.budget,
            rerender=self.rerender,
            render_value=self.render_value,
            tags=tags,
        )


def service_hook(state: RenderState, hook: str, function: str) -> Callable[..., Any]:
    """The runtime's answer to `hook` (see RenderServices), or the error that `function` cannot run here."""
    method = getattr(state.services, hook, None) if state.services is not None else None
    if not callable(method):
        raise EvalError(f"Function [{function}] is not available: the runtime provides no '{hook}' service")
    return method  # type: ignore[no-any-return]
