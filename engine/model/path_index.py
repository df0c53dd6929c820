"""Leaves stored under (taskId, loop values…) paths, read as nested maps without building them.

`outputs.t['a']['b']` for a task nested in two loops reads one dict entry instead of materialising the
whole tree of the task's 10,000 iterations (spec part 1 §7.1). Keys list in the order their leaves were
first created (a task run's sequence number), as Kestra builds them from its task-run list, whatever order
the leaves were set in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

Key = tuple[str, ...]


class PathIndex:
    __slots__ = ("_leaves", "_orders", "_prefixes")

    def __init__(self) -> None:
        self._leaves: dict[Key, Any] = {}
        self._orders: dict[Key, int] = {}
        self._prefixes: Counter[Key] = Counter()

    def copy(self) -> PathIndex:
        clone = PathIndex()
        clone._leaves = dict(self._leaves)
        clone._orders = dict(self._orders)
        clone._prefixes = Counter(self._prefixes)
        return clone

    def set(self, key: Key, leaf: Any, order: int) -> None:
        """`order` places the key among its siblings (the task run's sequence number)."""
        if key not in self._leaves:
            for end in range(1, len(key)):
                self._prefixes[key[:end]] += 1
        self._leaves[key] = leaf
        self._orders[key] = order

    def discard(self, key: Key) -> None:
        if self._leaves.pop(key, _MISSING) is _MISSING:
            return
        del self._orders[key]
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
        """The next key parts under `prefix`, each placed by the first-created leaf below it."""
        depth = len(prefix)
        first: dict[str, int] = {}
        for key, order in self._orders.items():
            if len(key) > depth and key[:depth] == prefix:
                child = key[depth]
                first[child] = min(order, first.get(child, order))
        return sorted(first, key=first.__getitem__)


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
