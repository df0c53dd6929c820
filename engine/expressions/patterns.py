"""Regular expressions a flow author writes (the regex filters, input validators), matched with a time
limit: a pattern that backtracks without end — `(a+)+$` on a long string of "a" and one "!" — fails the
render with a clear error instead of holding the step until its Lambda dies (issue 12). The `regex`
module matches as `re` does and takes a timeout (decision 0012)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, TypeVar

from engine.expressions.errors import EvalError

if TYPE_CHECKING:
    import regex

    Match = regex.Match[str]

T = TypeVar("T")

# Well inside a step's time; a legitimate pattern on a rendered value takes microseconds.
SECONDS = 1.0


class Pattern:
    """A compiled pattern whose every search stops after SECONDS."""

    __slots__ = ("_compiled", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        import regex  # 50 ms at a cold start that few steps need

        try:
            self._compiled = regex.compile(text, flags=regex.VERSION0)
        except regex.error as exc:
            raise EvalError(f"Invalid regular expression [{text}]: {exc}") from exc

    def fullmatch(self, string: str) -> Match | None:
        return self._bounded(lambda: self._compiled.fullmatch(string, timeout=SECONDS))

    def search(self, string: str) -> Match | None:
        return self._bounded(lambda: self._compiled.search(string, timeout=SECONDS))

    def sub(self, replacement: Callable[[Match], str], string: str) -> str:
        return self._bounded(lambda: self._compiled.sub(replacement, string, timeout=SECONDS))

    def finditer(self, string: str) -> Iterator[Match]:
        return iter(self._bounded(lambda: list(self._compiled.finditer(string, timeout=SECONDS))))

    def _bounded(self, search: Callable[[], T]) -> T:
        try:
            return search()
        except TimeoutError:
            raise EvalError(
                f"The regular expression [{self.text}] took longer than {SECONDS:g} s to match "
                "(it backtracks without end on this value)"
            ) from None


@lru_cache(maxsize=512)
def pattern(text: str) -> Pattern:
    return Pattern(text)
