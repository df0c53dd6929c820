"""Kestra's `sort=field:asc|desc` on a search (repeatable: the first one decides, the next ones break ties).
A sort that is not `field:direction`, or on a field the search cannot sort by, is a 422, as Kestra answers
one it cannot map; none at all leaves the search's own order."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from functions.api.errors import ApiError
from functions.api.requests import query_all

T = TypeVar("T")


def sorted_by(
    event: APIGatewayProxyEventV2, items: Sequence[T], keys: Mapping[str, Callable[[T], Any]]
) -> list[T]:
    orders: list[tuple[Callable[[T], Any], bool]] = []
    for text in query_all(event, "sort"):
        field, _, direction = text.partition(":")
        if field not in keys or direction not in ("asc", "desc"):
            detail = f"{text}: sort by one of {', '.join(keys)}, then asc or desc"
            raise ApiError(422, "Invalid sort parameter", [detail])
        orders.append((keys[field], direction == "desc"))
    result = list(items)
    for key, descending in reversed(orders):  # stable sorts: the last order first
        result.sort(key=_nulls_last(key), reverse=descending)
    return result


def _nulls_last(key: Callable[[T], Any]) -> Callable[[T], tuple[bool, Any]]:
    """What has no value (an end date still to come) goes last going up and first going down, as in SQL."""

    def sort_key(item: T) -> tuple[bool, Any]:
        value = key(item)
        return (True, 0) if value is None else (False, value)

    return sort_key
