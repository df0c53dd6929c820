"""Leaves stored under (taskId, loop values…) paths, read as nested maps without building them.

`outputs.t['a']['b']` for a task nested in two loops reads one dict entry instead of materialising the
whole tree of the task's 10,000 iterations (spec part 1 §7.1).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

Key = tuple[str, ...]


class PathIndex:
    __slots__ = ("_leaves", "_prefixes")

    def __init__(self) -> None:
        self._leaves: dict[Key, Any] = {}
        self._prefixes: Counter[Key] = Counter()

    def copy(self) -> PathIndex:
        clone = PathIndex()
        clone._leaves = dict(self._leaves)
        clone._prefixes = Counter(self._prefixes)
        return clone

    def set(self, key: Key, leaf: Any) -> None:
        if key not in self._leaves:
            for end in range(1, len(key)):
                self._prefixes[key[:end]] += 1
        self._leaves[key] = leaf

    def discard(self, key: Key) -> None:
        if self._leaves.pop(key, _MISSING) is _MISSING:
            return
        for end in range(1, len(key)):
            self._prefixes[key[:end]] -= 1
            if not self._prefixes[key[:end]]:
                del self._prefixes[key[:end]]

    def view(self) -> Mapping[str, Any]:
        return _View(self, ())

    def lookup(self, key: Key) -> Any:
        if key in self._leaves:
            return self._leaves[key]
        if key in self._prefixes:
            return _View(self, key)
        raise KeyError(key[-1])

    def children(self, prefix: Key) -> list[str]:
        depth = len(prefix)
        seen: dict[str, None] = {}
        for key in (*self._leaves, *self._prefixes):
            if len(key) == depth + 1 and key[:depth] == prefix:
                seen[key[depth]] = None
        return list(seen)


_MISSING = object()


class _View(Mapping[str, Any]):
    __slots__ = ("_index", "_prefix")

    def __init__(self, index: PathIndex, prefix: Key) -> None:
        self._index = index
        self._prefix = prefix

    def __getitem__(self, key: str) -> Any:
        if not isinstance(key, str):
            key = str(key)
        return self._index.lookup((*self._prefix, key))

    def __iter__(self) -> Iterator[str]:
        return iter(self._index.children(self._prefix))

    def __len__(self) -> int:
        return len(self._index.children(self._prefix))

    def __contains__(self, key: object) -> bool:
        try:
            self[key]  # type: ignore[index]
        except KeyError:
            return False
        return True
