"""Filters on lists and maps: length, first/last, join, slice, sort, keys/values, merge, chunk, distinct,
flatten."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.expressions.errors import EvalError
from engine.expressions.filters.args import Filter, int_arg, sequence_arg, text_arg
from engine.expressions.operators import compare, java_equals_strict
from engine.expressions.state import RenderState
from engine.expressions.values import (
    JavaLong,
    class_name,
    java_string,
)


def f_length(state: RenderState, value: Any) -> Any:
    if value is None:
        return 0
    if isinstance(value, str | list | tuple | Mapping):
        return len(value)
    raise EvalError(f"Filter [length] is not supported on [{java_string(value)}]")


def f_first(state: RenderState, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return value[0] if value else None
    if isinstance(value, list | tuple):
        return value[0] if value else None
    raise EvalError(f"Filter [first] is not supported on a value of type {class_name(value)}")


def f_last(state: RenderState, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return value[-1] if value else None
    if isinstance(value, list | tuple):
        return value[-1] if value else None
    raise EvalError(f"Filter [last] is not supported on a value of type {class_name(value)}")


def f_join(state: RenderState, value: Any, separator: Any = None) -> Any:
    if value is None:
        return None
    items = list(value.keys()) if isinstance(value, Mapping) else sequence_arg(value, "join")
    sep = "" if separator is None else text_arg(separator, "join")
    parts = [java_string(item) for item in items]
    state.budget.check_size(sum(len(p) for p in parts) + len(sep) * len(parts))
    return sep.join(parts)


def f_slice(state: RenderState, value: Any, fromIndex: Any = 0, toIndex: Any = None) -> Any:
    if value is None:
        return None
    if not isinstance(value, str | list | tuple):
        raise EvalError(f"Filter [slice] is not supported on [{java_string(value)}]")
    start = int_arg(fromIndex, "slice")
    end = len(value) if toIndex is None else int_arg(toIndex, "slice")
    if start < 0 or end > len(value) or start > end:
        raise EvalError(
            f"Filter [slice]: indexes [{start}, {end}] are out of range for a length of {len(value)}"
        )
    return value[start:end] if isinstance(value, str) else list(value[start:end])


def f_reverse(state: RenderState, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return value[::-1]
    return list(reversed(sequence_arg(value, "reverse")))


def _sort_key(items: list[Any]) -> list[Any]:
    import functools

    return sorted(items, key=functools.cmp_to_key(lambda a, b: compare(a, b, "sort")))


def f_sort(state: RenderState, value: Any) -> Any:
    return None if value is None else _sort_key(sequence_arg(value, "sort"))


def f_rsort(state: RenderState, value: Any) -> Any:
    return None if value is None else list(reversed(_sort_key(sequence_arg(value, "rsort"))))


def f_keys(state: RenderState, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return list(value.keys())
    if isinstance(value, list | tuple):
        return [JavaLong(i) for i in range(len(value))]
    raise EvalError(f"Filter [keys] expects a map, got [{java_string(value)}]")


def f_values(state: RenderState, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return list(value.values())
    raise EvalError(f"Filter [values] expects a map, got [{java_string(value)}]")


def f_merge(state: RenderState, value: Any, items: Any) -> Any:
    if isinstance(value, Mapping):
        if not isinstance(items, Mapping):
            raise EvalError("Filter [merge]: a map can only be merged with a map")
        state.budget.check_size(len(value) + len(items))
        return {**value, **items}
    if isinstance(value, list | tuple):
        if isinstance(items, Mapping):
            extra: list[Any] = list(items.items())
        elif isinstance(items, list | tuple):
            extra = list(items)
        else:
            raise EvalError("Filter [merge]: a list can only be merged with a list or a map")
        state.budget.check_size(len(value) + len(extra))
        return [*value, *extra]
    raise EvalError(f"Filter [merge] is not supported on [{java_string(value)}]")


def f_chunk(state: RenderState, value: Any, size: Any) -> Any:
    if value is None:
        return None
    items = sequence_arg(value, "chunk")
    step = int_arg(size, "chunk")
    if step <= 0:
        raise EvalError("Filter [chunk]: size must be > 0")
    return [items[i : i + step] for i in range(0, len(items), step)]


def f_distinct(state: RenderState, value: Any) -> Any:
    if value is None:
        return None
    result: list[Any] = []
    for item in sequence_arg(value, "distinct"):
        if not any(java_equals_strict(item, seen) for seen in result):
            result.append(item)
    return result


def f_flatten(state: RenderState, value: Any) -> Any:
    if value is None:
        return None
    result: list[Any] = []
    for item in sequence_arg(value, "flatten"):
        if isinstance(item, list | tuple):
            result.extend(item)
        else:
            result.append(item)
        state.budget.check_size(len(result))
    return result


# -- numbers -------------------------------------------------------------------------------------------------


FILTERS: dict[str, Filter] = {
    "chunk": f_chunk,
    "distinct": f_distinct,
    "first": f_first,
    "flatten": f_flatten,
    "join": f_join,
    "keys": f_keys,
    "last": f_last,
    "length": f_length,
    "merge": f_merge,
    "reverse": f_reverse,
    "rsort": f_rsort,
    "slice": f_slice,
    "sort": f_sort,
    "uniq": f_distinct,
    "values": f_values,
}
