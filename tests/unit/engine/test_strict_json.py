"""Strict JSON out of Kite: non-finite floats as Jackson writes them."""

from __future__ import annotations

import json
import math

from engine.model.serde import strict_json


def test_non_finite_floats_become_strings_everywhere() -> None:
    value = {"a": math.nan, "b": [math.inf, -math.inf, 1.5], "c": ("x", {"d": math.nan})}
    assert json.dumps(strict_json(value), allow_nan=False) == (
        '{"a": "NaN", "b": ["Infinity", "-Infinity", 1.5], "c": ["x", {"d": "NaN"}]}'
    )
