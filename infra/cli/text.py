"""What the `kite` command prints of a flow's own text (log lines, loop values, messages that quote an
input): control and format characters escaped, so that a task cannot move the cursor, clear the screen,
rewrite the terminal's title or reorder what is shown (bidirectional overrides)."""

from __future__ import annotations

import unicodedata

_KEPT = frozenset("\n\t")


def printable(text: str) -> str:
    return "".join(_escaped(char) for char in text)


def _escaped(char: str) -> str:
    if char in _KEPT or unicodedata.category(char) not in ("Cc", "Cf"):
        return char
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
