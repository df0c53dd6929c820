"""Kestra's ``jq(expression)`` filter (``JqFilter``), on libjq through the PyPI ``jq`` bindings.

The result is always the list of every output of the program, in order. A string input is parsed as
JSON; any other value goes in as the JSON Kestra would print for it (dates as ISO instants, null map
entries dropped). A null input gives null.

Differences with Kestra, which runs jackson-jq with jq 1.6 semantics:

* libjq prints integral doubles as integers, so a ``2.0`` that goes through a program unchanged comes
  back as ``2`` (jackson-jq keeps ``2.0``).
* Builtins that reach outside the template are disabled: ``env``/``$ENV`` (a Lambda's environment holds
  its AWS credentials), the clock (``now``, ``localtime``, ``strflocaltime``), module and search-path
  lookups (``import``, ``include``, ``modulemeta``, ``get_search_list``, ``get_jq_origin``,
  ``get_prog_origin``); ``debug`` and ``stderr`` pass their input through without writing anywhere.
* The outputs are bounded by the render's loop and output budgets, but libjq cannot be interrupted while
  it computes one output: a program such as ``[repeat(1)]`` only stops at the Lambda's time or memory
  limit.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

import jq

from engine.expressions.errors import EvalError
from engine.expressions.state import RenderState
from engine.expressions.values import class_name, java_string, to_json

# Shadowing definitions put on a line of their own before the user's program (a module directive,
# import or include, is then a syntax error). jq's error locations are shifted back by that line.
_DISABLED = ("env", "now", "localtime", "modulemeta", "get_search_list", "get_jq_origin", "get_prog_origin")
_PRELUDE = (
    "".join(f'def {name}: error("jq: {name} is not available in Kite"); ' for name in _DISABLED)
    + 'def strflocaltime($f): error("jq: strflocaltime is not available in Kite"); '
    + "def debug: .; def debug($m): .; def stderr: .; "
    + "{} as $ENV |\n"
)
_LOCATION = re.compile(r"(at <top-level>, line )(\d+)")


@lru_cache(maxsize=256)
def _compile(expression: str) -> Any:
    return jq.compile(_PRELUDE + expression)


def f_jq(state: RenderState, value: Any, expression: Any = None) -> Any:
    if value is None:
        return None
    if expression is None:
        raise EvalError("The 'jq' filter expects an argument 'expression'.")
    if not isinstance(expression, str):
        raise EvalError("The 'jq' filter expects an argument 'expression' with type string.")
    document = _input(state, value)
    try:
        return _outputs(state, _compile(expression).input_value(document))
    except ValueError as exc:
        raise EvalError(
            f"Unable to parse jq value '{java_string(value)}' with type '{class_name(value)}': "
            f"{_first_line(exc)}"
        ) from exc


def _input(state: RenderState, value: Any) -> Any:
    text = value if isinstance(value, str) else to_json(value, state.budget.max_output)
    state.budget.check_size(len(text))
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise EvalError(
            f"Unable to parse jq value '{java_string(value)}' with type '{class_name(value)}': {exc}"
        ) from exc


def _outputs(state: RenderState, results: Any) -> list[Any]:
    """Collect the outputs one by one, so that an endless stream stops at the render's budget: each
    output counts as a loop iteration, and all of them together as one rendered value."""
    outputs: list[Any] = []
    size = 0
    for output in results:
        state.budget.charge_loops(1)
        size += len(to_json(output, state.budget.max_output)) + 1
        state.budget.check_size(size)
        outputs.append(output)
    return outputs


def _first_line(error: Exception) -> str:
    """jq's message without the echo of the program, at the user's line number."""
    text = str(error).strip()
    if not text:
        return type(error).__name__
    return _LOCATION.sub(lambda m: f"{m.group(1)}{int(m.group(2)) - 1}", text.splitlines()[0]).rstrip(":")
