"""Which tasks' outputs and states a task's expressions can read, so that a RunTask carries those and not
the whole execution's (issue 12: a ForEach of n worker tasks sent O(n²) bytes).

Read from the text of the task's properties and of the flow's variables (which `render()` may evaluate):
`outputs.a.value`, `outputs['a']` and `tasks.a.state` name task `a`; any other use of `outputs` or `tasks`
(`outputs[taskrun.value]`, `outputs | keys`, a template built at run time) may read any, and then all
are sent. Over-approximating is safe; missing one would make a render fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from engine.flow.model import Flow
from engine.task_api import TaskBase

_ROOT = re.compile(r"\b(outputs|tasks)\b")
_NAMED = re.compile(r"""\s*(?:\.\s*([A-Za-z0-9][A-Za-z0-9_-]*)|\[\s*(['"])([^'"]+)\2\s*\])""")


def readable_tasks(task: TaskBase, flow: Flow) -> frozenset[str] | None:
    """The task ids whose outputs and states `task` may read, or None when it may read any."""
    named: set[str] = set()
    texts = [*_strings(task.model_dump(mode="json")), *_strings(flow.variables or {})]
    for text in texts:
        if "render(" in text:
            return None  # a template made at run time may name anything
        for root in _ROOT.finditer(text):
            if text[: root.start()].rstrip().endswith("."):
                continue  # `execution.outputs`, `parent.outputs`: not the `outputs` map
            match = _NAMED.match(text, root.end())
            if match is None:
                return None
            named.add(match.group(1) or match.group(3))
    return frozenset(named)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
