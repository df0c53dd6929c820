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
* The outputs are bounded by the render's loop and output budgets. libjq cannot be interrupted while it
  computes one output, so where the runtime offers a sandbox (the ``bounded(job)`` service hook) the
  program runs there, within a time and a memory limit: ``def f: f; f`` or ``[range(100000000)]`` fail
  the render with a clear error instead of holding the step until its Lambda dies.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

import jq

from engine.expressions.errors import EvalError, LimitExceededError
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
    budget = state.budget
    room = (budget.max_loops - budget.loops, budget.max_output)

    def job() -> tuple[str, Any]:
        """Runs where the sandbox puts it: it answers with plain data, never with an exception."""
        try:
            return "ok", _outputs(_compile(expression).input_value(document), *room)
        except _OverBudgetError as exc:
            return "limit", str(exc)
        except ValueError as exc:  # jq's own errors: a syntax error, a runtime error of the program
            return "jq", _first_line(exc)

    bounded = getattr(state.services, "bounded", None)
    kind, result = bounded(job) if callable(bounded) else job()
    if kind == "jq":
        raise EvalError(
            f"Unable to parse jq value '{java_string(value)}' with type '{class_name(value)}': {result}"
        )
    if kind == "limit":
        raise LimitExceededError(result)
    outputs: list[Any] = result
    budget.charge_loops(len(outputs))
    budget.check_size(sum(len(to_json(output, budget.max_output)) + 1 for output in outputs))
    return outputs


def _input(state: RenderState, value: Any) -> Any:
    text = value if isinstance(value, str) else to_json(value, state.budget.max_output)
    state.budget.check_size(len(text))
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise EvalError(
            f"Unable to parse jq value '{java_string(value)}' with type '{class_name(value)}': {exc}"
        ) from exc


class _OverBudgetError(Exception):
    """The program's outputs outgrew what the render has left."""


def _outputs(results: Any, max_outputs: int, max_size: int) -> list[Any]:
    """Collect the outputs one by one, so that an endless stream stops at the render's budget: each output
    counts as a loop iteration, and all of them together as one rendered value."""
    outputs: list[Any] = []
    size = 0
    for output in results:
        if len(outputs) >= max_outputs:
            raise _OverBudgetError(f"Loop iterations exceed the maximum of {max_outputs}")
        size += len(to_json(output, max_size)) + 1
        if size > max_size:
            raise _OverBudgetError(f"Rendered value exceeds the maximum of {max_size} characters")
        outputs.append(output)
    return outputs


def _first_line(error: Exception) -> str:
    """jq's message without the echo of the program, at the user's line number."""
    text = str(error).strip()
    if not text:
        return type(error).__name__
    return _LOCATION.sub(lambda m: f"{m.group(1)}{int(m.group(2)) - 1}", text.splitlines()[0]).rstrip(":")
