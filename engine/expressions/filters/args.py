"""What the filters share: their type and their argument checks."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from engine.expressions.errors import EvalError
from engine.expressions.values import (
    java_string,
)

Filter = Callable[..., Any]


def text_arg(value: Any, name: str) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        raise EvalError(f"Filter [{name}] cannot be applied to a null value")
    return java_string(value)


def int_arg(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return int(value)
        raise EvalError(f"Argument of filter [{name}] must be an integer, got [{java_string(value)}]")
    return int(value)


def sequence_arg(value: Any, name: str) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    raise EvalError(f"Filter [{name}] expects a list, got [{java_string(value)}]")


# -- strings -------------------------------------------------------------------------------------------------
