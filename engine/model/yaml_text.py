"""YAML text as plain values, PyYAML's safe reading (YAML 1.1), with PyYAML loaded on first use.

A step that reads no YAML (which is nearly every step: flows are stored parsed, engine/flow/document.py)
never pays its import.
"""

from __future__ import annotations

from typing import Any


class YamlError(ValueError):
    """Text that is not YAML; the message says where and why."""


def load_yaml_text(text: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise YamlError(str(exc)) from None
