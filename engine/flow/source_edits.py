"""Changes made to a flow's YAML source by hand would be made: one line, the rest (comments, order) kept."""

from __future__ import annotations

import re

_DISABLED = re.compile(r"^disabled:[^\n]*$", re.MULTILINE)


def with_disabled(source: str, disabled: bool) -> str:
    """The source with its top-level `disabled` set (Kestra's enable/disable of a flow)."""
    line = f"disabled: {'true' if disabled else 'false'}"
    if _DISABLED.search(source):
        return _DISABLED.sub(line, source, count=1)
    return source + ("" if source.endswith("\n") else "\n") + line + "\n"
