"""Pebble's operators: equality and comparison (OperatorUtils), arithmetic, ranges, loops and output
(called from the generated Jinja2 code)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from jinja2 import Undefined

from engine.expressions.errors import EvalError
from engine.expressions.state import RenderState
from engine.expressions.values import (
    Entry,
    JavaLong,
    class_name,
    concat_string,
    is_number,
    java_string,
    pebble_string,
    raise_undefined,
    wrap_long,
)

# ---------------------------------------------------------------------------------------------------------
# Equality / comparison (Pebble OperatorUtils)


def java_equals(a: Any, b: Any) -> bool:
    """``==``: Java equals with numeric widening (``1 == 1.0``) but ``5 != '5'`` and ``true != 1``."""
    if a is b:
        return True
    if a is None or b is None:
        return False
    a_bool = isinstance(a, bool)
    b_bool = isinstance(b, bool)
    if a_bool or b_bool:
        return a_bool and b_bool and a == b
    if is_number(a) and is_number(b):
        return bool(a == b)
    if type(a) is not type(b) and not (
        (isinstance(a, str) and isinstance(b, str))
        or (isinstance(a, Mapping) and isinstance(b, Mapping))
        or (isinstance(a, list | tuple) and isinstance(b, list | tuple))
        or (isinstance(a, datetime) and isinstance(b, datetime))
    ):
        return False
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(java_equals_strict(x, y) for x, y in zip(a, b, strict=True))
    try:
        return bool(a == b)
    except Exception:
        return False


def java_equals_strict(a: Any, b: Any) -> bool:
    """``Object.equals`` without numeric widening (Integer vs Long differ): used by ``contains``."""
    if a is None or b is None:
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int) and isinstance(b, int):
        return (type(a) is JavaLong) == (type(b) is JavaLong) and int(a) == int(b)
    if isinstance(a, float) and isinstance(b, float):
        return a == b
    if is_number(a) or is_number(b):
        return False
    return java_equals(a, b)


def compare(a: Any, b: Any, name: str) -> int:
    if is_number(a) and is_number(b):
        return int(a > b) - int(a < b)
    if isinstance(a, str) and isinstance(b, str):
        return (a > b) - (a < b)
    if isinstance(a, datetime) and isinstance(b, datetime):
        return (a > b) - (a < b)
    if isinstance(a, date) and isinstance(b, date) and not isinstance(a, datetime):
        return (a > b) - (a < b)
    raise EvalError(f"Could not perform {name} comparison between [{java_string(a)}] and [{java_string(b)}]")


def index_of(items: list[Any] | tuple[Any, ...], needle: Any) -> int:
    """Java's List.indexOf: equality without numeric widening."""
    for index, item in enumerate(items):
        if java_equals_strict(item, needle):
            return index
    return -1


def contains(container: Any, item: Any) -> bool:
    if container is None:
        return False
    if isinstance(container, str):
        return java_string(item) in container
    if isinstance(container, Mapping):
        if isinstance(item, list | tuple):
            return all(_map_has(container, k) for k in item)
        return _map_has(container, item)
    if isinstance(container, list | tuple):
        if isinstance(item, list | tuple):
            return all(index_of(container, x) >= 0 for x in item)
        return index_of(container, item) >= 0
    raise EvalError(f"Contains operator is not supported on [{java_string(container)}]")


def _map_has(container: Mapping[Any, Any], key: Any) -> bool:
    try:
        return key in container
    except TypeError:
        return False


def is_in(item: Any, container: Any) -> bool:
    """Kestra ``isIn``: compares string forms; on a map matches keys or values."""
    if item is None or container is None:
        return False
    needle = java_string(item)
    if isinstance(container, Mapping):
        return any(java_string(k) == needle or java_string(v) == needle for k, v in container.items())
    if isinstance(container, list | tuple):
        return any(java_string(x) == needle for x in container)
    return False


# ---------------------------------------------------------------------------------------------------------
# Arithmetic


def _number_operands(a: Any, b: Any, name: str) -> None:
    if not is_number(a) or not is_number(b):
        raise EvalError(f"Could not perform {name} on [{java_string(a)}] and [{java_string(b)}]")


def _int_result(a: Any, b: Any, value: int) -> int:
    value = wrap_long(value)
    if type(a) is JavaLong or type(b) is JavaLong:
        return JavaLong(value)
    return value


def _both_int(a: Any, b: Any) -> bool:
    return isinstance(a, int) and isinstance(b, int)


def add(state: RenderState, a: Any, b: Any) -> Any:
    if isinstance(a, str) or isinstance(b, str):
        left = java_string(a)
        right = java_string(b)
        state.budget.check_size(len(left) + len(right))
        return left + right
    if isinstance(a, list | tuple):
        extra = list(b) if isinstance(b, list | tuple) else [b]
        state.budget.check_size(len(a) + len(extra))
        return [*a, *extra]
    _number_operands(a, b, "addition")
    if _both_int(a, b):
        return _int_result(a, b, a + b)
    return float(a) + float(b)


def subtract(a: Any, b: Any) -> Any:
    if isinstance(a, list | tuple):
        removed = list(b) if isinstance(b, list | tuple) else [b]
        return [x for x in a if not any(java_equals(x, r) for r in removed)]
    _number_operands(a, b, "subtraction")
    if _both_int(a, b):
        return _int_result(a, b, a - b)
    return float(a) - float(b)


def multiply(a: Any, b: Any) -> Any:
    _number_operands(a, b, "multiplication")
    if _both_int(a, b):
        return _int_result(a, b, a * b)
    return float(a) * float(b)


def _java_quotient(a: int, b: int) -> int:
    """Java's integer division truncates toward zero (Python's // floors); % follows from it."""
    if b == 0:
        raise EvalError("/ by zero")
    quotient = abs(a) // abs(b)
    return -quotient if (a < 0) != (b < 0) else quotient


def divide(a: Any, b: Any) -> Any:
    _number_operands(a, b, "division")
    if _both_int(a, b):
        return _int_result(a, b, _java_quotient(a, b))
    x, y = float(a), float(b)
    if y == 0.0:
        if x == 0.0 or math.isnan(x):
            return math.nan
        return math.copysign(math.inf, x) * math.copysign(1.0, y)
    return x / y


def modulo(a: Any, b: Any) -> Any:
    _number_operands(a, b, "modulo")
    if _both_int(a, b):
        return _int_result(a, b, a - b * _java_quotient(a, b))
    y = float(b)
    if y == 0.0:
        return math.nan
    return math.fmod(float(a), y)


def negate(a: Any) -> Any:
    if isinstance(a, bool) or not is_number(a):
        raise EvalError(f"Could not negate [{java_string(a)}]")
    if isinstance(a, int):
        return _int_result(a, a, -a)
    return -a


def to_bool(value: Any) -> bool:
    """Pebble's ``compatibleCast(value, Boolean)`` under strict variables (if, ternary, and, or, not)."""
    if value is True or value is False:
        return value
    if isinstance(value, Undefined):
        raise_undefined(value)
    if value is None:
        raise EvalError("null value used in a boolean expression and strict variables is set to true")
    if isinstance(value, str):
        return value != ""
    if is_number(value):
        return not math.isnan(value) and value != 0
    raise EvalError(f"Cannot use [{java_string(value)}] as a boolean")


def make_range(state: RenderState, start: Any, end: Any, step: Any = 1) -> list[Any]:
    if isinstance(start, str) and isinstance(end, str) and len(start) == 1 and len(end) == 1:
        return [chr(c) for c in make_range(state, ord(start), ord(end), step)]
    for value in (start, end, step):
        if not isinstance(value, int) or isinstance(value, bool):
            raise EvalError(f"range() expects integers, got [{java_string(value)}]")
    if step == 0:
        raise EvalError("range() step cannot be 0")
    count = (end - start) // step + 1 if (end - start) * step >= 0 else 0
    if count > state.budget.max_loops:
        raise EvalError(
            f"range() size {count} exceeds the maximum of {state.budget.max_loops} loop iterations"
        )
    return [JavaLong(v) for v in range(start, end + (1 if step > 0 else -1), step)]


def iterate(state: RenderState, value: Any) -> list[Any]:
    if isinstance(value, Undefined):
        raise_undefined(value)
    if value is None:
        items: list[Any] = []
    elif isinstance(value, list):
        items = value
    elif isinstance(value, tuple):
        items = list(value)
    elif isinstance(value, Mapping):
        items = [Entry(k, v) for k, v in value.items()]
    else:
        raise EvalError(f"Not an iterable object. Value = [{java_string(value)}]")
    state.budget.charge_loops(len(items))
    return items


def concat(state: RenderState, *values: Any) -> str:
    parts = [concat_string(v) for v in values]
    state.budget.check_size(sum(len(p) for p in parts))
    return "".join(parts)


class TypedWriter:
    """Kestra's TypedObjectWriter: what a typed render of several parts adds up to.

    Strings concatenate, numbers of one Java type add up, anything else may only stand alone; any
    other mix fails with Kestra's message ("Tried to add java.lang.Long to java.lang.String")."""

    __slots__ = ("empty", "state", "value")

    def __init__(self, state: RenderState) -> None:
        self.state = state
        self.value: Any = None
        self.empty = True

    def write(self, value: Any, *, text: bool = False) -> None:
        if value is None:
            return
        if self.empty:
            self.value, self.empty = value, False
            return
        current = class_name(self.value)
        if (isinstance(self.value, str) and isinstance(value, str)) or (
            is_number(value) and not isinstance(value, bool) and class_name(value) == current
        ):
            self.value = add(self.state, self.value, value)
        else:
            added = "java.lang.Character" if text else class_name(value)
            raise EvalError(f"Tried to add {added} to {current}")


def typed_writer(state: RenderState) -> TypedWriter:
    writer = state.extra.get("typed")
    if writer is None:
        writer = state.extra["typed"] = TypedWriter(state)
    assert isinstance(writer, TypedWriter)
    return writer


def output(state: RenderState, value: Any) -> str:
    text = pebble_string(value, state.budget.max_output)
    state.budget.charge_output(len(text))
    return text
