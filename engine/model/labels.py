"""Execution label rules shared by execution creation and the Labels task (spec part 1 §10)."""

from __future__ import annotations

from collections.abc import Iterable

from engine.model.execution import Label

SYSTEM_PREFIX = "system."


class InvalidLabelError(ValueError):
    pass


def merge_labels(*groups: Iterable[tuple[str, str]]) -> tuple[Label, ...]:
    """Later groups win, first-seen key order kept, empty keys and values dropped (`Label.deduplicate`)."""
    merged: dict[str, str] = {}
    for group in groups:
        for key, value in group:
            merged[key] = value
    return tuple(Label(k, v) for k, v in merged.items() if k != "" and v != "")


def check_user_labels(labels: Iterable[tuple[str, str]], allowed: Iterable[str] = ()) -> None:
    """Only Kestra sets `system.*` labels (but those `allowed`); the first offending one is named."""
    exceptions = frozenset(allowed)
    for key, value in labels:
        if key.startswith(SYSTEM_PREFIX) and key not in exceptions:
            raise InvalidLabelError(
                f"System labels can only be set by Kestra itself, offending label: {key}={value}"
            )
