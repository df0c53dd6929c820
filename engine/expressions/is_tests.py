"""Pebble's tests (`x is empty`, `x is even`…)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from engine.expressions.errors import EvalError
from engine.expressions.values import (
    java_string,
)

# ---------------------------------------------------------------------------------------------------------
# Tests (`x is ...`)


def _test_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str | list | tuple | Mapping):
        return len(value) == 0
    return False


def _integer(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise EvalError(f"Test [{name}] expects an integer, got [{java_string(value)}]")
    return value


def _test_json(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


TESTS: dict[str, Callable[..., bool]] = {
    "null": lambda v: v is None,
    "empty": _test_empty,
    "even": lambda v: _integer(v, "even") % 2 == 0,
    "odd": lambda v: _integer(v, "odd") % 2 == 1,
    "iterable": lambda v: isinstance(v, list | tuple | Mapping),
    "map": lambda v: isinstance(v, Mapping),
    "json": _test_json,
}
