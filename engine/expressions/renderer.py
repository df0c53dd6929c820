"""Public entry point: ``Renderer`` (string, typed and dynamic-property rendering)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

import jinja2
from msgspec import Struct

from engine.expressions.codegen import RESULT_NAME, translate
from engine.expressions.environment import KiteContext, VarView, build_environment
from engine.expressions.errors import EvalError, ExpressionError, TemplateSyntaxError
from engine.expressions.operators import typed_writer
from engine.expressions.scanner import extract_raw, restore_raw
from engine.expressions.state import Budget, RenderState
from engine.expressions.values import plain


class RenderServices(Protocol):
    """I/O some functions need. Only ``now`` is declared; optional hooks are looked up by name when called:
    ``secret(key)``, ``kv(key, namespace)``, ``read(uri)``, ``error_logs()``, ``file_uri(path)``,
    ``file_size(uri)``, ``file_exists(uri)``, ``file_empty(uri)``, ``http(method, url, headers, body)``,
    ``random_bytes(size)``, and ``bounded(job)``, which runs a jq program within limits (without it, jq
    runs unbounded in the renderer's process). engine.runtime.port_services.PortServices answers them all."""

    def now(self) -> datetime: ...


class _Compiled(Struct, frozen=True):
    template: jinja2.Template
    tags: tuple[tuple[str, int], ...]
    raw: tuple[str, ...]
    typed: bool


class Renderer:
    def __init__(
        self,
        *,
        max_output_chars: int = 10_000_000,
        max_loop_iterations: int = 100_000,
        cache_size: int = 4096,
    ) -> None:
        self._env = build_environment()
        self.max_output_chars = max_output_chars
        self.max_loop_iterations = max_loop_iterations
        self._max_steps = max(10_000, max_loop_iterations * 20)
        self._compiled = lru_cache(maxsize=cache_size)(self._compile)

    # -- public API ---------------------------------------------------------------------------------------
    def render(
        self, template: str, context: Mapping[str, Any], services: RenderServices | None = None
    ) -> str:
        """String rendering. A template without '{' is returned untouched, unparsed."""
        if not isinstance(template, str):
            raise ExpressionError(f"A template must be a string, got {type(template).__name__}")
        if "{" not in template:
            return template
        return self._render(template, self._state(context, services))

    def render_typed(
        self, template: str, context: Mapping[str, Any], services: RenderServices | None = None
    ) -> Any:
        """A template that is exactly one ``{{ expr }}`` returns the raw value; several parts add up the way
        Kestra's TypedObjectWriter adds them (strings concatenate, a string and a number fail)."""
        if not isinstance(template, str):
            raise ExpressionError(f"A template must be a string, got {type(template).__name__}")
        if "{" not in template:
            return template
        state = self._state(context, services)
        compiled = self._get(template, typed=True)
        child = state.child(compiled.tags)
        ctx = self._context(compiled, context, child)
        try:
            for _ in compiled.template.root_render_func(ctx):
                pass
            value = plain(ctx.vars.get(RESULT_NAME) if compiled.typed else typed_writer(child).value)
        except ExpressionError:
            raise
        except Exception as exc:
            raise self._error(exc, template, child) from None
        if isinstance(value, str) and compiled.raw:
            value = restore_raw(value, list(compiled.raw))
        return value

    def render_value(
        self, value: Any, context: Mapping[str, Any], services: RenderServices | None = None
    ) -> Any:
        """Dynamic properties: strings rendered, maps key and value, lists element-wise, scalars as-is."""
        return self._render_value(value, self._state(context, services))

    # -- internals ----------------------------------------------------------------------------------------
    def _state(self, context: Mapping[str, Any], services: RenderServices | None) -> RenderState:
        if not isinstance(context, Mapping):
            raise ExpressionError(f"The render context must be a mapping, got {type(context).__name__}")
        budget = Budget(self.max_output_chars, self.max_loop_iterations, self._max_steps)
        return RenderState(
            context=context,
            services=services,
            budget=budget,
            rerender=self._rerender,
            render_value=self._render_value,
        )

    def _rerender(self, template: str, state: RenderState) -> str:
        if "{" not in template:
            return template
        return self._render(template, state)

    def _render_value(self, value: Any, state: RenderState) -> Any:
        if isinstance(value, str):
            return self._rerender(value, state)
        if isinstance(value, Mapping):
            return {self._render_value(k, state): self._render_value(v, state) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._render_value(v, state) for v in value]
        return value

    def _get(self, template: str, typed: bool) -> _Compiled:
        try:
            return self._compiled(template, typed)
        except TemplateSyntaxError as exc:
            raise ExpressionError(exc.message, exc.source or template, exc.line) from None
        except RecursionError:
            raise ExpressionError("Expression is nested too deeply", template) from None
        except jinja2.TemplateError as exc:
            raise ExpressionError(f"Invalid template: {exc.message or exc}", template) from None

    def _compile(self, template: str, typed: bool) -> _Compiled:
        text, raw = extract_raw(template)
        translation = translate(text, typed)
        jinja_template = self._env.from_string(translation.source)
        return _Compiled(jinja_template, translation.tags, tuple(raw), translation.typed)

    def _context(self, compiled: _Compiled, context: Mapping[str, Any], state: RenderState) -> KiteContext:
        ctx = compiled.template.new_context(VarView(context), shared=True)  # type: ignore[arg-type]
        assert isinstance(ctx, KiteContext)
        ctx.kite_state = state
        return ctx

    def _render(self, template: str, state: RenderState) -> str:
        compiled = self._get(template, typed=False)
        child = state.child(compiled.tags)
        ctx = self._context(compiled, state.context, child)
        budget = state.budget
        chunks: list[str] = []
        size = 0
        try:
            for chunk in compiled.template.root_render_func(ctx):
                size += len(chunk)
                if size > budget.max_output:
                    raise EvalError(f"Rendered output exceeds the maximum of {budget.max_output} characters")
                chunks.append(chunk)
        except ExpressionError:
            raise
        except Exception as exc:
            raise self._error(exc, template, child) from None
        result = "".join(chunks)
        if compiled.raw:
            result = restore_raw(result, list(compiled.raw))
        return result

    @staticmethod
    def _error(exc: BaseException, template: str, state: RenderState) -> ExpressionError:
        if 0 <= state.tag < len(state.tags):
            expression, line = state.tags[state.tag]
        else:
            expression, line = template, 1
        if isinstance(exc, EvalError):
            message = exc.message
        elif isinstance(exc, RecursionError):
            message = "Maximum recursion depth exceeded while rendering"
        elif isinstance(exc, MemoryError):
            message = "Out of memory while rendering"
        elif isinstance(exc, jinja2.TemplateError):
            message = f"Template error: {exc.message or type(exc).__name__}"
        else:
            message = f"{type(exc).__name__}: {exc}"
        return ExpressionError(message, expression, line)
