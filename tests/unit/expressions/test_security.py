"""Sandbox: known Jinja2 SSTI payloads and resource blow-ups must fail cleanly with ExpressionError."""

from __future__ import annotations

import time
from typing import Any

import pytest

from engine.expressions import ExpressionError, Renderer

PAYLOADS = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ''.__class__ }}",
    "{{ ''['__class__'] }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ cycler }}",
    "{{ joiner }}",
    "{{ self._TemplateReference__context }}",
    "{{ self }}",
    "{{ lipsum.__globals__ }}",
    "{{ lipsum }}",
    "{{ config }}",
    "{{ request }}",
    "{{ namespace.__init__ }}",
    "{{ namespace() }}",
    "{{ dict(a=1) }}",
    "{{ range.__self__ }}",
    "{% for x in ().__class__.__base__.__subclasses__() %}{{ x }}{% endfor %}",
    "{{ inputs.__class__ }}",
    "{{ inputs._private }}",
    "{{ inputs.name.__len__() }}",
    "{{ inputs.name.format(inputs) }}",
    "{{ inputs.name.getClass() }}",
    "{{ inputs.list.pop() }}",
    "{{ inputs.obj.clear() }}",
    "{{ inputs.obj.update({'a': 2}) }}",
    "{{ inputs | attr('__class__') }}",
    "{{ range(10**9) }}",
    "{{ 'a' * 1000000000 }}",
    "{{ 'a' ** 2 }}",
    "{{ 7 // 2 }}",
    "{{ __import__('os').system('id') }}",
    "{{ eval('1') }}",
    "{{ open('/etc/passwd').read() }}",
    "{{ globals() }}",
    "{{ caller() }}",
    "{{ loop.__class__ }}",
    "{% for x in [1] %}{{ loop.__class__ }}{% endfor %}",
    "{% for x in [1] %}{{ loop.cycle }}{% endfor %}",
    "{% for x in inputs.obj %}{{ x.__class__ }}{% endfor %}",
    "{{ varargs }}",
    "{{ kwargs }}",
    "{{ k_get }}",
    "{{ v_inputs }}",
    "{% include '/etc/passwd' %}",
    "{% import 'x' as y %}",
    "{% extends 'x' %}",
    "{{ 'x' | attr('upper') }}",
    "{{ 'x' | safe }}",
    "{{ 'x' | format('y') }}",
    "{% macro m() %}{{ m.__globals__ }}{% endmacro %}{{ m() }}",
    "{% set x = inputs.name %}{{ x.__class__.__base__ }}",
]


@pytest.mark.parametrize("template", PAYLOADS)
def test_ssti_payload_is_rejected(renderer: Renderer, ctx: dict[str, Any], template: str) -> None:
    with pytest.raises(ExpressionError):
        renderer.render(template, ctx)


@pytest.mark.parametrize(
    "template", ["{{ cycler ?? 'safe' }}", "{{ self ?? 'safe' }}", "{{ lipsum ?? 'safe' }}"]
)
def test_jinja_globals_are_plain_undefined_names(renderer: Renderer, template: str) -> None:
    assert renderer.render(template, {}) == "safe"


def test_context_named_like_jinja_internals_is_plain_data(renderer: Renderer) -> None:
    assert renderer.render("{{ self }}-{{ loop }}-{{ range }}", {"self": 1, "loop": 2, "range": 3}) == "1-2-3"


def test_input_values_are_never_rendered(renderer: Renderer) -> None:
    context = {"inputs": {"x": "{{ ''.__class__ }}{% for i in range(0, 10) %}x{% endfor %}"}}
    assert renderer.render("{{ inputs.x }}", context) == context["inputs"]["x"]


@pytest.mark.parametrize(
    "template",
    [
        "{% for i in range(0, 100000000) %}x{% endfor %}",
        "{{ range(0, 100000000) }}",
        "{{ 0..100000000 }}",
        "{% for i in range(0, 1000) %}{% for j in range(0, 1000) %}x{% endfor %}{% endfor %}",
        "{{ 'x' | indent(1000000000) }}",
        "{{ 'x\nx' | indent(100000000, prefix='yyyyyyyyyy') }}",
    ],
)
def test_resource_limits(template: str) -> None:
    renderer = Renderer(max_output_chars=100_000, max_loop_iterations=10_000)
    start = time.monotonic()
    with pytest.raises(ExpressionError, match="exceed"):
        renderer.render(template, {})
    assert time.monotonic() - start < 5


def test_string_doubling_is_bounded() -> None:
    renderer = Renderer(max_output_chars=100_000)
    template = "{% set s = 'xxxxxxxxxx' %}" + "{% set s = s ~ s %}" * 40 + "{{ s | length }}"
    with pytest.raises(ExpressionError, match="exceed"):
        renderer.render(template, {})


def test_list_doubling_is_bounded() -> None:
    renderer = Renderer(max_output_chars=100_000)
    template = "{% set s = [1, 2] %}" + "{% set s = s | merge(s) %}" * 40 + "{{ s | length }}"
    with pytest.raises(ExpressionError, match="exceed"):
        renderer.render(template, {})


def test_output_size_is_bounded() -> None:
    renderer = Renderer(max_output_chars=1_000, max_loop_iterations=100_000)
    with pytest.raises(ExpressionError, match="exceed"):
        renderer.render("{% for i in range(1, 5000) %}xx{% endfor %}", {})


def test_recursive_macro_is_bounded() -> None:
    renderer = Renderer(max_loop_iterations=1_000)
    template = "{% macro f(n) %}{{ f(n) ~ f(n) }}{% endmacro %}{{ f(1) }}"
    with pytest.raises(ExpressionError):
        renderer.render(template, {})


def test_yaml_alias_bomb_is_bounded() -> None:
    renderer = Renderer(max_output_chars=100_000)
    bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
    for i, name in enumerate("bcdefghij"):
        prev = "abcdefghij"[i]
        bomb += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 10) + "]\n"
    with pytest.raises(ExpressionError, match="exceed"):
        renderer.render("{{ yaml(inputs.doc) }}", {"inputs": {"doc": bomb}})


def test_self_referencing_render_is_bounded(renderer: Renderer) -> None:
    with pytest.raises(ExpressionError):
        renderer.render("{{ render(vars.x) }}", {"vars": {"x": "{{ render(vars.x) }}"}})


def test_errors_are_never_raw_exceptions(renderer: Renderer, ctx: dict[str, Any]) -> None:
    for template in [
        "{{ 1 / 0 }}",
        "{{ 'a' - 1 }}",
        "{{ {} }",
        "{{ x",
        "{% if %}",
        "{% for %}",
        "{{ (((( }}",
    ]:
        with pytest.raises(ExpressionError):
            renderer.render(template, ctx)
