"""Spec §15.7: every verified (✅) rendering example, table-driven, with the exact expected output."""

from __future__ import annotations

from typing import Any

import pytest

from engine.expressions import ExpressionError, Renderer

OK: list[tuple[str, str]] = [
    ("Hello {{ inputs.name | upper }}!", "Hello WORLD!"),
    ("{{ inputs.n + 1 }}", "6"),
    ("{{ 7 / 2 }}", "3"),
    ("{{ 7.0 / 2 }}", "3.5"),
    ("{{ 10 / 4 }}", "2"),
    ("{{ -5 % 3 }}", "-2"),
    ("{{ inputs.f * 2 }}", "5.0"),
    ("{{ 0.1 + 0.2 }}", "0.30000000000000004"),
    ("{{ 12345678.9 }}", "1.23456789E7"),
    ("{{ 0.00001 }}", "1.0E-5"),
    ("{{ inputs.list }}", "[1,2,3]"),
    ("{{ inputs.obj }}", '{"a":1,"b":"x"}'),
    ("{{ {'a': null, 'b': 1} }}", '{"b":1}'),
    ("{{ [1, 'a', true, null] }}", '[1,"a",true,null]'),
    ("{{ inputs.flag }}", "true"),
    ("{{ not inputs.flag }}", "false"),
    ("{{ inputs.nul }}", ""),
    ("{{ inputs.missing ?? 'dflt' }}", "dflt"),
    ("{{ inputs.missing.deep ?? 'dflt' }}", "dflt"),
    ("{{ inputs.nul ?? 'dflt' }}", "dflt"),
    ("{{ inputs.nul ??? 'dflt' }}", ""),
    ("{{ inputs.missing ??? 'dflt' }}", "dflt"),
    ("{{ inputs.empty ?? 'x' }}", ""),
    ("{{ inputs.missing | default('d') }}", "d"),
    ("{{ inputs.empty | default('d') }}", "d"),
    ("{{ false | default('b') }}", "false"),
    ("{{ 0 | default('b') }}", "0"),
    ("{{ [] | default('b') }}", "b"),
    ("{{ 'a' ~ 'b' ~ 1 }}", "ab1"),
    ("{{ 1 + '2' }}", "12"),
    ("{{ 'x' | upper ~ 'y' }}", "Xy"),
    ("{{ 'x' ~ 'y' | upper }}", "XY"),
    ("{{ inputs.obj['b'] }}", "x"),
    ("{{ inputs['name'] }}", "world"),
    ("{{ outputs.each['a'].value }}", "A"),
    ("{{ inputs.list | join(',') }}", "1,2,3"),
    ("{{ [1, 2, 3] | join }}", "123"),
    ("{{ inputs.list | length }}", "3"),
    ("{{ inputs.name | length }}", "5"),
    ("{{ inputs.obj | length }}", "2"),
    ("{{ inputs.nul | length }}", "0"),
    ("{{ 'hello world' | title }}", "Hello World"),
    ("{{ 'hello world' | capitalize }}", "Hello world"),
    ("{{ '  x  ' | trim }}", "x"),
    ("{{ 'a,b,c' | split(',') }}", '["a","b","c"]'),
    ("{{ 'a.b.c' | split('.') }}", "[]"),
    ("{{ 'a.b.c' | split('\\.') }}", '["a","b","c"]'),
    ("{{ 'a-b-c' | split('-', 2) }}", '["a","b-c"]'),
    ("{{ 'abcdef' | slice(1,3) }}", "bc"),
    ("{{ [1,2,3] | slice(0,2) }}", "[1,2]"),
    ("{{ inputs.list | first }}", "1"),
    ("{{ inputs.list | last }}", "3"),
    ("{{ inputs.name | first }}", "w"),
    ("{{ inputs.list | reverse }}", "[3,2,1]"),
    ("{{ [3,1,2] | sort }}", "[1,2,3]"),
    ("{{ [3,1,2] | rsort }}", "[3,2,1]"),
    ("{{ inputs.obj | keys }}", '["a","b"]'),
    ("{{ inputs.obj | values }}", '[1,"x"]'),
    ("{{ [1,2] | merge([3]) }}", "[1,2,3]"),
    ("{{ {'a':1} | merge({'b':2}) }}", '{"a":1,"b":2}'),
    ("{{ [1,2,3,4,5] | chunk(2) }}", "[[1,2],[3,4],[5]]"),
    ("{{ ['1','1','2'] | distinct }}", '["1","2"]'),
    ("{{ [[1,2],[3]] | flatten }}", "[1,2,3]"),
    ("{{ 'Hello World!' | slugify }}", "hello-world"),
    ("{{ 'ÀÉ b' | slugify }}", "ae-b"),
    ("{{ 'a_b' | slugify }}", "a-b"),
    ("{{ 'a.b.c' | substringBefore('.') }}", "a"),
    ("{{ 'a.b.c' | substringAfter('.') }}", "b.c"),
    ("{{ 'a.b.c' | substringBeforeLast('.') }}", "a.b"),
    ("{{ 'a.b.c' | substringAfterLast('.') }}", "c"),
    ("{{ 'hello' | startsWith('he') }}", "true"),
    ("{{ 'hello' | endsWith('lo') }}", "true"),
    ("{{ \"I like %this%\" | replace({'%this%': 'cats'}) }}", "I like cats"),
    ("{{ \"a1b2\" | replace({'\\d': 'X'}, regexp=true) }}", "aXbX"),
    ('{{ "12.3" | number }}', "12.3"),
    ('{{ "12" | number + 1 }}', "13"),
    ('{{ "12.3" | number | className }}', "java.lang.Double"),
    ("{{ -7 | abs }}", "7"),
    ("{{ 3.14159 | numberFormat('#.##') }}", "3.14"),
    ("{{ 1234567.891 | numberFormat('#,##0.00') }}", "1,234,567.89"),
    ("{{ \"It's\" | escapeChar('single') }}", "It\\'s"),
    ("{{ 'say \"hi\"' | escapeChar('double') }}", 'say \\"hi\\"'),
    ("{{ \"it's\" | escapeChar('shell') }}", "it'\\''s"),
    ("{{ [1,2] | toJson }}", "[1,2]"),
    ("{{ 'foo' | toJson }}", '"foo"'),
    ("{{ {'a': 'b'} | toJson }}", '{"a":"b"}'),
    ("{{ {'k': 'v'} | yaml }}", "k: v\n"),
    ("{{ 'foo: bar' | yaml }}", '"foo: bar"\n'),
    ("{{ fromJson('{\"x\":[1,2]}').x[1] }}", "2"),
    ("{{ yaml('foo: [1,2]').foo[0] }}", "1"),
    ('{{ "test" | base64encode }}', "dGVzdA=="),
    ('{{ "dGVzdA==" | base64decode }}', "test"),
    ('{{ "test" | sha256 }}', "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
    ("{{ 'test' | sha1 }}", "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"),
    ("{{ 'test' | md5 }}", "098f6bcd4621d373cade4e832627b4f6"),
    ('{{ "The string ü@foo-bar" | urlencode }}', "The+string+%C3%BC%40foo-bar"),
    ('{{ "The+string+%C3%BC%40foo-bar" | urldecode }}', "The string ü@foo-bar"),
    ("{{ 'hello world' | upper | abbreviate(7) }}", "HELL..."),
    ('{{ "line1\nline2" | indent(2) }}', "line1\n  line2"),
    ('{{ "line1\nline2" | nindent(2) }}', "\n  line1\n  line2"),
    ("{{ max(1, 5, 3) }}", "5"),
    ("{{ min(1, 5, 3) }}", "1"),
    ("{% for i in range(0, 3) %}{{ i }},{% endfor %}", "0,1,2,3,"),
    ("{{ range(1,3) }}", "[1,2,3]"),
    (
        "{% for x in inputs.list %}{{ loop.index }}:{{ x }}{% if not loop.last %},{% endif %}{% endfor %}",
        "0:1,1:2,2:3",
    ),
    ("{% for e in inputs.obj %}{{ e.key }}={{ e.value }};{% endfor %}", "a=1;b=x;"),
    ("{% for x in [] %}{{ x }}{% else %}none{% endfor %}", "none"),
    ("{% if inputs.n > 3 %}big{% else %}small{% endif %}", "big"),
    ("{% set x = 'X' %}{{ x }}", "X"),
    ("{# c #}after", "after"),
    ("{% raw %}{{ not rendered }}{% endraw %}", "{{ not rendered }}"),
    ("{{ inputs.list contains 2 }}", "false"),
    ("{{ [5,6] contains 5 }}", "true"),
    ("{{ [5,6] contains inputs.n }}", "false"),
    ("{{ inputs.obj contains 'a' }}", "true"),
    ("{{ 'hello' contains 'ell' }}", "true"),
    ("{{ inputs.missing is defined }}", "false"),
    ("{{ inputs.empty is empty }}", "true"),
    ("{{ inputs.nul is null }}", "true"),
    ("{{ inputs.nul is empty }}", "true"),
    ("{{ '{\"a\":1}' is json }}", "true"),
    ("{{ 3 is odd }}", "true"),
    ("{{ inputs.n is even }}", "false"),
    ("{{ inputs.n > 3 ? 'big' : 'small' }}", "big"),
    ("{{ inputs.n == 5 }}", "true"),
    ("{{ inputs.n == '5' }}", "false"),
    ("{{ 1 == 1.0 }}", "true"),
    ("{{ inputs.name equals 'world' }}", "true"),
    ("{{ 'b' > 'a' }}", "true"),  # 1.x behaviour (0.21 raised an error)
    ('{{ "Hello #{inputs.name}!" }}', "Hello world!"),
    ("{{ 'Hello #{inputs.name}!' }}", "Hello #{inputs.name}!"),
    ("{{ 'it\\'s' }}", "it's"),
    ("{{ 'line1\\nline2' }}", "line1\\nline2"),
    ("a  {{- ' b ' -}}  c", "a b c"),
    ("{{ 'abc'.length() }}", "3"),
    ("{{ inputs.list.size() }}", "3"),
    ("{{ inputs.obj.keySet() }}", '["a","b"]'),
    ("{{ vars.greeting }}", "Hi {{ inputs.name }}"),
    ("{{ render(vars.greeting) }}", "Hi world"),
    ("{{ execution.startDate | date('yyyy-MM-dd') }}", "2024-01-15"),
    ("{{ execution.startDate | date(\"yyyy-MM-dd'T'HH:mm:ss\") }}", "2024-01-15T10:30:00"),
    ("{{ execution.startDate | date('iso') }}", "2024-01-15T10:30:00.123456Z"),
    ("{{ execution.startDate | date('yyyy-MM-dd HH:mm', timeZone='Europe/Paris') }}", "2024-01-15 11:30"),
    ("{{ execution.startDate | dateAdd(1, 'DAYS') }}", "2024-01-16T10:30:00.123456Z"),
    ("{{ \"2024-01-15T10:30:00Z\" | dateAdd(1, 'MONTHS') }}", "2024-02-15T10:30:00.000000Z"),
    ("{{ execution.startDate | dateAdd(-2, 'HOURS') | date('HH:mm') }}", "08:30"),
    ('{{ "2024-03-10" | date("dd/MM/yyyy", existingFormat="yyyy-MM-dd") }}', "10/03/2024"),
    ('{{ "2024-01-15" | date("EEEE", existingFormat="yyyy-MM-dd") }}', "Monday"),
    ('{{ "2024-01-15T10:30:00+02:00" | date("HH:mm", timeZone="UTC") }}', "08:30"),
    ("{{ execution.startDate | timestamp }}", "1705314600"),
    ("{{ execution.startDate | timestampMicro }}", "1705314600123456"),  # 1.x (fixed) semantics
]

ERRORS: list[tuple[str, str]] = [
    (
        "{{ inputs.missing }}",
        "Unable to find `missing` used in the expression `{{ inputs.missing }}` at line 1",
    ),
    ("{{ inputs.list[5] }}", "Index out of bounds"),
    ("{{ 'abcdef'[1:3] }}", "Unexpected token"),
    ("{{ inputs.obj | first }}", "Filter [first] is not supported"),
]

TYPED: list[tuple[str, Any]] = [
    ("{{ inputs.n > 3 }}", True),
    ("{{ inputs.list }}", [1, 2, 3]),
    ("{{ inputs.n }}", 5),
    ("{{ inputs.f }}", 2.5),
]


@pytest.mark.parametrize(("template", "expected"), OK, ids=[t for t, _ in OK])
def test_spec_example(renderer: Renderer, ctx: dict[str, Any], template: str, expected: str) -> None:
    assert renderer.render(template, ctx) == expected


@pytest.mark.parametrize(("template", "fragment"), ERRORS, ids=[t for t, _ in ERRORS])
def test_spec_error(renderer: Renderer, ctx: dict[str, Any], template: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as info:
        renderer.render(template, ctx)
    assert fragment in str(info.value)


@pytest.mark.parametrize(("template", "expected"), TYPED, ids=[t for t, _ in TYPED])
def test_spec_typed(renderer: Renderer, ctx: dict[str, Any], template: str, expected: Any) -> None:
    value = renderer.render_typed(template, ctx)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("a{{ inputs.name }}", "aworld"),
        ("{{ inputs.name }}-{{ inputs.name }}", "world-world"),
        ("{{ 1 }}{{ 2 }}", 3),
        ("{% if inputs.flag %}{{ inputs.list }}{% endif %}", [1, 2, 3]),
        ("{{ inputs.nul }}{{ 2.5 }}", 2.5),
    ],
)
def test_typed_parts_add_up_like_kestra(
    renderer: Renderer, ctx: dict[str, Any], template: str, expected: Any
) -> None:
    assert renderer.render_typed(template, ctx) == expected


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("x{{ inputs.n }}", "Tried to add java.lang.Integer to java.lang.String"),
        ("{{ inputs.n }}{{ 1 }}", "Tried to add java.lang.Long to java.lang.Integer"),
        ("{{ inputs.list }}!", "Tried to add java.lang.Character to java.util.ArrayList"),
        ("{{ inputs.flag }}{{ inputs.flag }}", "Tried to add java.lang.Boolean to java.lang.Boolean"),
    ],
)
def test_typed_mixed_parts_fail_like_kestra(
    renderer: Renderer, ctx: dict[str, Any], template: str, message: str
) -> None:
    with pytest.raises(ExpressionError, match=message):
        renderer.render_typed(template, ctx)
