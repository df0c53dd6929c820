"""Kestra's namespace hierarchy: `company.team` is a child of `company`, `company2` is not."""

from __future__ import annotations


def in_namespace(namespace: str, parent: str) -> bool:
    """`namespace` is `parent` or one of its children."""
    return namespace == parent or namespace.startswith(parent + ".")
