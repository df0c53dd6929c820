"""Renderer behaviour beyond the §15.7 table: API contract, services, errors, Pebble details."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from engine.expressions import ExpressionError, Renderer, is_truthy, to_pebble_string

from .conftest import FixedClock

NOW = datetime(2026, 11, 23, 19, 14, 30, 823190, tzinfo=UTC)


class LazyMapping(Mapping[str, Any]):
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.reads: list[str] = []

    def __getitem__(self, key: str) -> Any:
        self.reads.append(key)
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("no braces }}", "no braces }}"),
        ("plain text", "plain text"),
        ("{% if inputs.n > 10 %}a{% elseif inputs.n > 3 %}b{% else %}c{% endif %}", "b"),
        ("{% if true %}\nx\n{% endif %}\n", "\nx\n\n"),
        ("{{ inputs.missing ?? inputs.other ?? 'c' }}", "c"),
        ("{{ inputs.missing ?? 1 + 2 }}", "3"),
        ("{{ (inputs.missing + 1) ?? 'x' }}", "x"),
        ("{{ inputs.missing ?? 'a' | upper }}", "A"),
        ("{{ -7 / 2 }}", "-3"),
        ("{{ 7 % -3 }}", "1"),
        ("{{ 9223372036854775807 + 1 }}", "-9223372036854775808"),
        ("{{ 1.0 / 0 }}", "Infinity"),
        ("{{ 1..3 }}", "[1,2,3]"),
        ("{{ [1, 2] + 3 }}", "[1,2,3]"),
        ("{{ 'a' + 1.5 }}", "a1.5"),
        ("{{ true == 1 }}", "false"),
        ("{{ 2 isIn inputs.list }}", "true"),
        ("{{ 'x' notIn inputs.obj }}", "false"),
        ("{{ 9 isIn inputs.list }}", "false"),
        ("{{ inputs.list contains [1, 2] }}", "false"),
        ("{{ inputs.obj contains ['a', 'b'] }}", "true"),
        ('{{ "a #{ inputs.list | join("-") } b" }}', "a 1-2-3 b"),
        ("{{ 'x' ~ inputs.nul ~ 'y' }}", "xy"),
        ("{{ 'x' ~ inputs.list }}", "x[1, 2, 3]"),
        ("{{ inputs.name.length }}", "5"),
        ("{{ inputs.name.toUpperCase() }}", "WORLD"),
        ("{{ inputs.list.empty }}", "false"),
        ("{{ inputs.obj.values() }}", '[1,"x"]'),
        ("{% for e in inputs.obj %}{{ e.getKey() }}{% endfor %}", "ab"),
        ("{% for x in [1, 2, 3] %}{{ loop.revindex }}{{ loop.first }}{% endfor %}", "2true1false0false"),
        (
            "{% macro greet(who='you') %}Hi {{ who }}{% endmacro %}{{ greet('Bob') }} {{ greet() }}",
            "Hi Bob Hi you",
        ),
        ("{% filter upper %}abc {{ inputs.name }}{% endfilter %}", "ABC WORLD"),
        ("{% set xs = [1, 2] %}{% for x in xs %}{{ x }}{% endfor %}", "12"),
        ("{%- if true -%}  x  {%- endif -%}", "x"),
        ("a {#- comment -#} b", "ab"),
        ("{% verbatim %}{{ x }}{% endverbatim %}", "{{ x }}"),
        ("{%- raw -%} {{ x }} {%- endraw -%}", " {{ x }} "),
        ("{{ '{% raw %}' }}", "{% raw %}"),
        ("{{ 'a\\b' }}", "a\\b"),
        ('{{ "say \\"x\\"" }}', 'say "x"'),
        ("{{ inputs.obj | toJson }}", '{"a":1,"b":"x"}'),
        ("{{ {'a': [1, {'b': null}]} }}", '{"a":[1,{}]}'),
        ("{{ 2.0 }} {{ 100.0 }} {{ 10000000.0 }}", "2.0 100.0 1.0E7"),
        ("{{ 1234.5 | numberFormat('0.000') }}", "1234.500"),
        ("{{ 0.5 | numberFormat('#.##') }}", ".5"),
        ("{{ 0.125 | numberFormat('0.00') }}", "0.12"),
        ("{{ 0.25 | numberFormat('#%') }}", "25%"),
        ("{{ '12' | number('INT') | className }}", "java.lang.Integer"),
        ("{{ inputs.n | className }}", "java.lang.Integer"),
        ("{{ 5 | className }}", "java.lang.Long"),
        ("{{ {'a': {'b': [1, 2]}, 'c': 'x y'} | yaml }}", "a:\n  b:\n  - 1\n  - 2\nc: x y\n"),
        ("{{ ['true', '1'] | yaml }}", '- "true"\n- "1"\n'),
        ("{{ 'a-b-c' | split('-') }}", '["a","b","c"]'),
        ("{{ 'a--b' | split('-') }}", '["a","","b"]'),
        ("{{ 'Hello' | replace({'l': 'L'}) }}", "HeLLo"),
        ("{{ 'ab12' | replace({'(\\d)': '<$1>'}, regexp=true) }}", "ab<1><2>"),
        ("{{ [1, 2, 3] | slice(1) }}", "[2,3]"),
        ("{{ 'x' | default('y') }} {{ inputs.nul | default('y') }}", "x y"),
        ("{{ inputs.missing is not defined }} {{ inputs.n is not null }}", "true true"),
        ("{{ inputs.list is iterable }} {{ inputs.obj is map }}", "true true"),
        ("{{ printContext().inputs.name }}", "world"),
        ("{{ fromJson('[1, 2]') | length }}", "2"),
        ("{{ range(5, 1, -2) }}", "[5,3,1]"),
        ("{{ renderOnce(vars.greeting) }}", "Hi world"),
        ("{{ render(vars.nested) }}", "Hi world"),
        ("{{ render({'k': vars.greeting}) }}", '{"k":"Hi world"}'),
        ("{{ render(42) }}", "42"),
        ("{{ execution.startDate }}", "2024-01-15T10:30:00.123456Z"),
        ("{{ execution.startDate | date('EEE dd MMM yyyy hh:mm a z') }}", "Mon 15 Jan 2024 10:30 AM UTC"),
        ("{{ execution.startDate | date('iso_offset_date_time') }}", "2024-01-15T10:30:00.123456Z"),
        (
            "{{ execution.startDate | date('iso', timeZone='Europe/Paris') }}",
            "2024-01-15T11:30:00.123456+01:00",
        ),
        ("{{ execution.startDate | date('sql') }}", "2024-01-15 10:30:00.123456"),
        ("{{ '2024-01-31T00:00:00Z' | dateAdd(1, 'MONTHS', format='yyyy-MM-dd') }}", "2024-02-29"),
        ("{{ execution.startDate | timestampMilli }}", "1705314600123"),
        ("{{ execution.startDate | timestampNano }}", "1705314600123456000"),
        ("{{ 1705314600 | date('yyyy-MM-dd HH:mm') }}", "2024-01-15 10:30"),
        (
            "{{ '15/01/2024 10:30' | date('iso', existingFormat='dd/MM/yyyy HH:mm') }}",
            "2024-01-15T10:30:00.000000Z",
        ),
    ],
)
def test_render(renderer: Renderer, ctx: dict[str, Any], template: str, expected: str) -> None:
    ctx["vars"]["nested"] = "{{ vars.greeting }}"
    assert renderer.render(template, ctx) == expected


@pytest.mark.parametrize(
    ("template", "fragment"),
    [
        ("{{ inputs.x }}", "Unable to find `x` used in the expression `{{ inputs.x }}` at line 1"),
        (
            "a\nb {{ inputs.n }}\n{{ nope }}",
            "Unable to find `nope` used in the expression `{{ nope }}` at line 3",
        ),
        ("{{ inputs.nul.x }}", "Unable to find `x`"),
        ("{{ inputs.nul ?? inputs.missing }}", "Unable to find `missing`"),
        ("{{ inputs.x ??? inputs.y }}", "Unable to find `y`"),
        ("{{ inputs.missing is null }}", "Unable to find `missing`"),
        ("{% set x = inputs.missing %}", "Unable to find `missing`"),
        ("{% for x in inputs.missing %}{% endfor %}", "Unable to find `missing`"),
        ("{% if inputs.missing %}{% endif %}", "Unable to find `missing`"),
        ("{{ [inputs.missing] }}", "Unable to find `missing`"),
        ("{{ foo() }}", "Function or Macro [foo] does not exist."),
        ("{{ 1 | foo }}", "Filter [foo] does not exist."),
        ("{{ 1 is foo }}", "Test [foo] does not exist."),
        ("{{ 1e3 }}", "Unexpected token"),
        ("{% for k, v in inputs.obj %}{% endfor %}", "single variable"),
        ("{% if true %}{% elif false %}{% endif %}", "Unexpected tag name [elif]"),
        ("{% if true %}", "Unclosed tag [if]"),
        ("{% include 'x' %}", "not supported"),
        ("{{ 1 / 0 }}", "/ by zero"),
        ("{{ now() }}", "now"),
        ("{{ secret('X') }}", "secret"),
        ("{{ 'abc'.getClass() }}", "Unable to find `getClass`"),
        ("{{ 'abcdef'.substring(1, 3) }}", "Unable to find `substring`"),
        ("{{ render(vars.loop) }}", "Too many"),
        ("{{ inputs.obj | first }}", "(in the expression `{{ inputs.obj | first }}` at line 1)"),
    ],
)
def test_errors(renderer: Renderer, ctx: dict[str, Any], template: str, fragment: str) -> None:
    ctx["vars"]["loop"] = "{{ render(vars.loop) }}"
    with pytest.raises(ExpressionError) as info:
        renderer.render(template, ctx)
    assert fragment in str(info.value)
    assert info.value.expression
    assert info.value.message


def test_error_attributes(renderer: Renderer, ctx: dict[str, Any]) -> None:
    with pytest.raises(ExpressionError) as info:
        renderer.render("x {{ inputs.x }} y", ctx)
    assert info.value.expression == "{{ inputs.x }}"
    assert info.value.message == "Unable to find `x`"


def test_now_uses_services(renderer: Renderer) -> None:
    clock = FixedClock(NOW)
    assert renderer.render("{{ now() }}", {}, clock) == "2026-11-23T19:14:30.823190Z"
    assert (
        renderer.render("{{ now(timeZone='Europe/Paris') }}", {}, clock) == "2026-11-23T20:14:30.823190+01:00"
    )
    assert renderer.render("{{ now(format='yyyy') }}", {}, clock) == "2026"
    assert renderer.render("{{ now() | date('HH') }}", {}, clock) == "19"


def test_randomness_comes_from_services(renderer: Renderer) -> None:
    class Services(FixedClock):
        def uuid(self) -> str:
            return "0" * 21 + "1"

        def random_below(self, bound: int) -> int:
            return bound - 1

    services = Services(NOW)
    assert renderer.render("{{ uuid() }} {{ id() | length }}", {}, services) == "0000000000000000000001 22"
    assert renderer.render("{{ randomInt(5, 10) }}", {}, services) == "9"
    for template in ("{{ uuid() }}", "{{ randomInt(1, 2) }}"):
        with pytest.raises(ExpressionError, match="needs"):
            renderer.render(template, {}, FixedClock(NOW))


def test_optional_service_hooks(renderer: Renderer) -> None:
    class Services(FixedClock):
        def secret(self, key: str) -> str:
            return f"s3cr3t-{key}"

        def kv(self, key: str, namespace: str | None) -> tuple[bool, Any]:
            return key == "k", {"k": 1}.get(key)

    services = Services(NOW)
    assert renderer.render("{{ secret('API') }}", {}, services) == "s3cr3t-API"
    assert renderer.render("{{ kv('k') }}", {}, services) == "1"
    assert renderer.render("{{ kv('x', errorOnMissing=false) ?? 'none' }}", {}, services) == "none"
    with pytest.raises(ExpressionError, match="The key 'x' does not exist in the namespace 'ns'"):
        renderer.render("{{ kv('x') }}", {"flow": {"namespace": "ns"}}, services)
    with pytest.raises(ExpressionError, match="read"):
        renderer.render("{{ read('nsfile:///a') }}", {}, services)


def test_current_each_output(renderer: Renderer) -> None:
    context = {
        "outputs": {"t": {"outer1": {"inner1": {"value": "deep"}}}},
        "parents": [{"taskrun": {"value": "outer1"}}],
        "taskrun": {"value": "inner1"},
    }
    assert renderer.render("{{ currentEachOutput(outputs.t).value }}", context) == "deep"
    context2 = {
        "outputs": {"t": {"a": {"b": {"c": {"value": "x"}}}}},
        "parents": [{"taskrun": {"value": "b"}}, {"taskrun": {"value": "a"}}],
        "taskrun": {"value": "c"},
    }
    assert renderer.render("{{ currentEachOutput(outputs.t).value }}", context2) == "x"
    simple = {"outputs": {"t": {"v1": {"value": 1}}}, "taskrun": {"value": "v1"}}
    assert renderer.render("{{ currentEachOutput(outputs.t).value }}", simple) == "1"


def test_render_typed(renderer: Renderer, ctx: dict[str, Any]) -> None:
    assert renderer.render_typed("  {{ inputs.obj }} ", ctx) == {"a": 1, "b": "x"}
    assert renderer.render_typed("{{ inputs.nul }}", ctx) is None
    assert renderer.render_typed("{{ 1 + 2 }}", ctx) == 3
    assert type(renderer.render_typed("{{ 1 + 2 }}", ctx)) is int
    assert renderer.render_typed("{{ [1, 'a'] }}", ctx) == [1, "a"]
    assert renderer.render_typed("{{ false }}", ctx) is False
    assert renderer.render_typed("{{ '{% raw %}{{ x }}{% endraw %}' }}", ctx) == "{{ x }}"
    assert renderer.render_typed("plain", ctx) == "plain"
    with pytest.raises(ExpressionError, match="Unable to find `x`"):
        renderer.render_typed("{{ inputs.x }}", ctx)


def test_render_value(renderer: Renderer, ctx: dict[str, Any]) -> None:
    value = {"{{ inputs.name }}": ["{{ inputs.n }}", 3, None, {"k": "{{ inputs.flag }}"}], "n": 1.5}
    assert renderer.render_value(value, ctx) == {"world": ["5", 3, None, {"k": "true"}], "n": 1.5}


def test_lazy_mappings_are_read_lazily(renderer: Renderer) -> None:
    outputs = LazyMapping({"a": {"value": 1}, "b": {"value": 2}})
    context = LazyMapping({"outputs": outputs, "inputs": {}})
    assert renderer.render("{{ outputs.a.value }}", context) == "1"
    assert outputs.reads == ["a"]
    assert "inputs" not in context.reads
    assert renderer.render("{{ outputs }}", context) == '{"a":{"value":1},"b":{"value":2}}'


def test_no_services_is_fine_for_pure_templates(renderer: Renderer, ctx: dict[str, Any]) -> None:
    assert renderer.render("{{ inputs.name }}", ctx, None) == "world"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, False),
        (True, True),
        (False, False),
        ("false", False),
        (" false ", False),
        ("0", False),
        ("-0", False),
        ("", False),
        ("  ", False),
        ("False", True),
        ("no", True),
        ("null", True),
        ("0.0", True),
        ("[]", True),
        (0, False),
        (1, True),
    ],
)
def test_is_truthy(value: Any, expected: bool) -> None:
    assert is_truthy(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("s", "s"),
        (True, "true"),
        (False, "false"),
        (42, "42"),
        (2.5, "2.5"),
        (5.0, "5.0"),
        (1e-5, "1.0E-5"),
        (12345678.9, "1.23456789E7"),
        (-0.0, "-0.0"),
        (1e21, "1.0E21"),
        (0.001, "0.001"),
        (123456.0, "123456.0"),
        ({"a": None, "b": [1, None]}, '{"b":[1,null]}'),
        ([1, "é", 2.0], '[1,"é",2.0]'),
        (datetime(2024, 1, 15, 10, 30, 0, 123456, tzinfo=UTC), "2024-01-15T10:30:00.123456Z"),
        (datetime(2024, 1, 15, 10, 30, tzinfo=UTC), "2024-01-15T10:30:00Z"),
        (datetime(2024, 1, 15, 10, 30, 0, 500000, tzinfo=UTC), "2024-01-15T10:30:00.500Z"),
        (datetime(2024, 1, 15, 11, 30, tzinfo=timezone(timedelta(hours=1))), "2024-01-15T10:30:00Z"),
    ],
)
def test_to_pebble_string(value: Any, expected: str) -> None:
    assert to_pebble_string(value) == expected


def test_templates_are_cached(renderer: Renderer, ctx: dict[str, Any]) -> None:
    template = "{{ inputs.name ~ 'cached' }}"
    renderer.render(template, ctx)
    info_before = renderer._compiled.cache_info()
    renderer.render(template, ctx)
    assert renderer._compiled.cache_info().hits == info_before.hits + 1


def test_random_port_is_in_the_ephemeral_range(renderer: Renderer) -> None:
    class Services(FixedClock):
        def random_below(self, bound: int) -> int:
            return bound - 1

    assert renderer.render("{{ randomPort() }}", {}, Services(NOW)) == "65535"
