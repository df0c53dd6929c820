"""Pebble core filters kept by Kestra, and Kestra's own filters (§15.6), by name. A filter is a function
`(state, value, *arguments)`; add one to the table of the module it belongs to."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.expressions.filters import conversions, sequences, text
from engine.expressions.ion import f_to_ion
from engine.expressions.jq_filter import f_jq

FILTERS: dict[str, Callable[..., Any]] = {
    **text.FILTERS,
    **sequences.FILTERS,
    **conversions.FILTERS,
    "jq": f_jq,
    "toIon": f_to_ion,
}
