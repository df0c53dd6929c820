"""The sandboxed Jinja2 environment that runs translated templates."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from jinja2 import Undefined, pass_context
from jinja2.runtime import Context, Macro
from jinja2.sandbox import SandboxedEnvironment

from engine.expressions import attributes
from engine.expressions import operators as ops
from engine.expressions.errors import EvalError
from engine.expressions.errors import ExpressionError as _ExpressionError
from engine.expressions.filters import FILTERS
from engine.expressions.functions import FUNCTIONS
from engine.expressions.is_tests import TESTS
from engine.expressions.state import RenderState
from engine.expressions.undefined import NAME_PREFIX, KiteUndefined, missing
from engine.expressions.values import JavaLong, raise_undefined


class KiteContext(Context):
    kite_state: RenderState


class VarView(Mapping[str, Any]):
    """The render context under ``v_``-prefixed names, without copying (lazy mappings stay lazy)."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        if isinstance(key, str) and key.startswith(NAME_PREFIX):
            return self._data[key[2:]]
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.startswith(NAME_PREFIX) and key[2:] in self._data

    def __iter__(self) -> Iterator[str]:
        return (NAME_PREFIX + k for k in self._data)

    def __len__(self) -> int:
        return len(self._data)


class KiteEnvironment(SandboxedEnvironment):
    """No globals, no Jinja2 tests/filters, no attribute access: only Kite's ``k_*`` filters are reachable."""

    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})
    intercepted_unops = frozenset({"-", "+"})

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return False

    def is_safe_callable(self, obj: Any) -> bool:
        return isinstance(obj, Macro)

    def getattr(self, obj: Any, attribute: str) -> Any:
        return missing(f"Unable to find `{attribute}`")

    def getitem(self, obj: Any, argument: Any) -> Any:
        return missing(f"Unable to find `{argument}`")

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        raise EvalError(f"Operator [{operator}] is not supported")

    def call_unop(self, context: Context, operator: str, arg: Any) -> Any:
        raise EvalError(f"Operator [{operator}] is not supported")


def _propagate(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    for arg in args:
        if isinstance(arg, Undefined):
            return arg
    for arg in kwargs.values():
        if isinstance(arg, Undefined):
            return arg
    return None


def _guard(kind: str, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a Pebble filter/function: undefined arguments propagate, Python errors become EvalError."""

    @pass_context
    def _call(ctx: KiteContext, value: Any, *args: Any, **kwargs: Any) -> Any:
        if kind == "filter" and isinstance(value, Undefined):
            return value
        if args or kwargs:
            undefined = _propagate(args, kwargs)
            if undefined is not None:
                return undefined
        state = ctx.kite_state
        try:
            if kind == "filter":
                return fn(state, value, *args, **kwargs)
            return fn(state, *args, **kwargs)
        except (EvalError, _ExpressionError):
            raise
        except TypeError as exc:
            raise EvalError(f"Invalid arguments for {kind} [{name}]: {exc}") from exc
        except RecursionError as exc:
            raise EvalError(f"{kind.capitalize()} [{name}] failed: value nested too deeply") from exc
        except Exception as exc:
            raise EvalError(f"{kind.capitalize()} [{name}] failed: {exc}") from exc

    return _call


def _binary(fn: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    @pass_context
    def _op(ctx: KiteContext, left: Any, right: Any) -> Any:
        if isinstance(left, Undefined):
            return left
        if isinstance(right, Undefined):
            return right
        return fn(left, right)

    return _op


def _binary_state(fn: Callable[[RenderState, Any, Any], Any]) -> Callable[..., Any]:
    @pass_context
    def _op(ctx: KiteContext, left: Any, right: Any) -> Any:
        if isinstance(left, Undefined):
            return left
        if isinstance(right, Undefined):
            return right
        return fn(ctx.kite_state, left, right)

    return _op


def _unary(fn: Callable[[Any], Any]) -> Callable[..., Any]:
    @pass_context
    def _op(ctx: KiteContext, value: Any) -> Any:
        if isinstance(value, Undefined):
            return value
        return fn(value)

    return _op


@pass_context
def _k_mark(ctx: KiteContext, tag: int) -> str:
    state = ctx.kite_state
    state.tag = tag
    state.budget.charge_step()
    return ""


@pass_context
def _k_out(ctx: KiteContext, value: Any) -> str:
    return ops.output(ctx.kite_state, value)


@pass_context
def _k_collect(ctx: KiteContext, value: Any) -> str:
    """Typed rendering of several parts: hand each printed value to the TypedWriter, print nothing."""
    ops.typed_writer(ctx.kite_state).write(_k_strict(ctx, value))
    return ""


@pass_context
def _k_collect_text(ctx: KiteContext, text: str) -> str:
    ops.typed_writer(ctx.kite_state).write(text, text=True)
    return ""


@pass_context
def _k_strict(ctx: KiteContext, value: Any) -> Any:
    if isinstance(value, Undefined):
        raise_undefined(value)
    return value


@pass_context
def _k_bool(ctx: KiteContext, value: Any) -> bool:
    return ops.to_bool(value)


@pass_context
def _k_iter(ctx: KiteContext, value: Any) -> list[Any]:
    return ops.iterate(ctx.kite_state, value)


@pass_context
def _k_long(ctx: KiteContext, value: int) -> JavaLong:
    return JavaLong(value)


@pass_context
def _k_get(ctx: KiteContext, obj: Any, key: Any) -> Any:
    return attributes.get_attr(obj, key)


@pass_context
def _k_meth(ctx: KiteContext, obj: Any, name: str, *args: Any) -> Any:
    try:
        return attributes.method_call(obj, name, *args)
    except EvalError:
        raise
    except Exception as exc:
        raise EvalError(f"Method [{name}] failed: {exc}") from exc


@pass_context
def _k_list(ctx: KiteContext, items: list[Any]) -> Any:
    for item in items:
        if isinstance(item, Undefined):
            return item
    return items


@pass_context
def _k_map(ctx: KiteContext, flat: list[Any]) -> Any:
    result: dict[Any, Any] = {}
    for index in range(0, len(flat), 2):
        key, value = flat[index], flat[index + 1]
        if isinstance(key, Undefined):
            return key
        if isinstance(value, Undefined):
            return value
        try:
            result[key] = value
        except TypeError as exc:
            raise EvalError("Map keys must be strings, numbers or booleans") from exc
    return result


@pass_context
def _k_concat(ctx: KiteContext, _none: Any, *values: Any) -> Any:
    for value in values:
        if isinstance(value, Undefined):
            return value
    return ops.concat(ctx.kite_state, *values)


@pass_context
def _k_nn(ctx: KiteContext, value: Any) -> bool:
    return value is not None and not isinstance(value, Undefined)


@pass_context
def _k_defined(ctx: KiteContext, value: Any) -> bool:
    return not isinstance(value, Undefined)


@pass_context
def _k_default(ctx: KiteContext, value: Any, default: Any = None) -> Any:
    if isinstance(value, Undefined) or value is None:
        return default
    if isinstance(value, str | list | tuple | Mapping) and len(value) == 0:
        return default
    return value


@pass_context
def _k_not(ctx: KiteContext, value: Any) -> Any:
    if isinstance(value, Undefined):
        return value
    return not ops.to_bool(value)


def _cmp(name: str, accept: Callable[[int], bool]) -> Callable[[Any, Any], bool]:
    return lambda a, b: accept(ops.compare(a, b, name))


def _range(state: RenderState, start: Any, end: Any) -> list[Any]:
    return ops.make_range(state, start, end, 1)


def _test(name: str, fn: Callable[..., bool]) -> Callable[..., Any]:
    @pass_context
    def _apply(ctx: KiteContext, value: Any, *args: Any) -> Any:
        if isinstance(value, Undefined):
            return value
        undefined = _propagate(args, {})
        if undefined is not None:
            return undefined
        try:
            return fn(value, *args)
        except EvalError:
            raise
        except Exception as exc:
            raise EvalError(f"Test [{name}] failed: {exc}") from exc

    return _apply


def build_environment() -> KiteEnvironment:
    env = KiteEnvironment(
        autoescape=False,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
        undefined=KiteUndefined,
        cache_size=0,
        auto_reload=False,
    )
    env.context_class = KiteContext
    env.globals.clear()
    env.tests.clear()
    env.filters.clear()
    internal: dict[str, Callable[..., Any]] = {
        "k_mark": _k_mark,
        "k_out": _k_out,
        "k_collect": _k_collect,
        "k_collect_text": _k_collect_text,
        "k_strict": _k_strict,
        "k_bool": _k_bool,
        "k_iter": _k_iter,
        "k_long": _k_long,
        "k_get": _k_get,
        "k_meth": _k_meth,
        "k_list": _k_list,
        "k_map": _k_map,
        "k_concat": _k_concat,
        "k_nn": _k_nn,
        "k_defined": _k_defined,
        "k_default": _k_default,
        "k_not": _k_not,
        "k_neg": _unary(ops.negate),
        "k_pos": _unary(lambda v: ops.negate(ops.negate(v))),
        "k_add": _binary_state(ops.add),
        "k_sub": _binary(ops.subtract),
        "k_mul": _binary(ops.multiply),
        "k_div": _binary(ops.divide),
        "k_mod": _binary(ops.modulo),
        "k_eq": _binary(ops.java_equals),
        "k_ne": _binary(lambda a, b: not ops.java_equals(a, b)),
        "k_lt": _binary(_cmp("less than", lambda c: c < 0)),
        "k_gt": _binary(_cmp("greater than", lambda c: c > 0)),
        "k_le": _binary(_cmp("less than or equals", lambda c: c <= 0)),
        "k_ge": _binary(_cmp("greater than or equals", lambda c: c >= 0)),
        "k_contains": _binary(ops.contains),
        "k_isin": _binary(ops.is_in),
        "k_notin": _binary(lambda a, b: not ops.is_in(a, b)),
        "k_range": _binary_state(_range),
    }
    env.filters.update(internal)
    for name, fn in FILTERS.items():
        env.filters[f"k_f_{name}"] = _guard("filter", name, fn)
    for name, fn in FUNCTIONS.items():
        env.filters[f"k_fn_{name}"] = _guard("function", name, fn)
    for name, test in TESTS.items():
        env.filters[f"k_t_{name}"] = _test(name, test)
    return env
