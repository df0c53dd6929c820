"""Exceptions raised while translating or evaluating a Pebble template."""

from __future__ import annotations


class ExpressionError(Exception):
    """Render failure with a Kestra-like message.

    ``str(e)`` reads e.g. "Unable to find `x` used in the expression `{{ inputs.x }}` at line 1".
    """

    expression: str
    message: str
    line: int | None

    def __init__(self, message: str, expression: str = "", line: int | None = None) -> None:
        self.message = message
        self.expression = expression
        self.line = line
        super().__init__(self._format())

    def _format(self) -> str:
        if not self.expression:
            return self.message
        where = f" at line {self.line}" if self.line is not None else ""
        if self.message.startswith("Unable to find `"):
            return f"{self.message} used in the expression `{self.expression}`{where}"
        return f"{self.message} (in the expression `{self.expression}`{where})"


class EvalError(Exception):
    """Internal: a runtime failure inside an operator, filter, function or method."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class UndefinedValueError(EvalError):
    """Internal: an undefined value (missing variable, attribute or index) reached a strict use."""


class LimitExceededError(EvalError):
    """Internal: a resource limit (output size, loop iterations, steps) was exceeded."""


class TemplateSyntaxError(Exception):
    """Internal: the Pebble source could not be parsed."""

    def __init__(self, message: str, line: int | None = None, source: str = "") -> None:
        self.message = message
        self.line = line
        self.source = source
        super().__init__(message)
