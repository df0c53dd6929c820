"""The undefined value: propagates through lookups and operators, fails when it reaches a strict use."""

from __future__ import annotations

from typing import Any, NoReturn

from jinja2 import StrictUndefined

from engine.expressions.errors import UndefinedValueError

NAME_PREFIX = "v_"


class KiteUndefined(StrictUndefined):
    """Pebble strictVariables: any use (print, iteration, comparison, ``if``) raises ``UndefinedValueError``.

    ``??``, ``???``, ``is defined`` and ``default`` inspect it without failing.
    """

    __slots__ = ()

    @property
    def kite_message(self) -> str:
        hint = self._undefined_hint
        if hint:
            return hint
        name = self._undefined_name or ""
        if name.startswith(NAME_PREFIX):
            name = name[len(NAME_PREFIX) :]
        return f"Unable to find `{name}`"

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise UndefinedValueError(self.kite_message)

    __iter__ = __str__ = __len__ = _fail_with_undefined_error
    __eq__ = __ne__ = __bool__ = __hash__ = _fail_with_undefined_error
    __contains__ = _fail_with_undefined_error


def missing(message: str) -> KiteUndefined:
    return KiteUndefined(hint=message)
