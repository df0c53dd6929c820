"""Kite's expression renderer: Kestra's Pebble language emulated on Jinja2's sandboxed environment."""

from engine.expressions.errors import ExpressionError
from engine.expressions.renderer import Renderer, RenderServices
from engine.expressions.values import is_truthy, to_pebble_string

__all__ = ["ExpressionError", "RenderServices", "Renderer", "is_truthy", "to_pebble_string"]
