"""jq(expression): Kestra's JqFilter on libjq; the result is always the list of every output."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from engine.expressions import ExpressionError, Renderer


def _context() -> dict[str, Any]:
    """The values of Kestra's JqFilterTest.map, with Kite's value types."""
    return {
        "vars": {
            "second": {
                "string": "string",
                "int": 1,
                "float": 1.123,
                "list": ["string", 1, 1.123],
                "bool": True,
                "date": datetime(2013, 9, 8, 16, 19, tzinfo=timezone(timedelta(hours=2))),
                "map": {"string": "string", "int": 1, "float": 1.123},
            },
            "numbers": [1, 2, 3],
        },
        "text": '{"a": {"b": [1, 2]}}',
        "sparse": {"a": None, "b": 1},
        "start": datetime(2024, 1, 15, 10, 30, 0, 123456, tzinfo=UTC),
    }


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        # Spec §15.7 and Kestra's JqFilterTest.
        ("{{ [1, 2, 3] | jq('.[0]') | first }}", "1"),
        ("{{ {'a':{'b':2}} | jq('.a.b') }}", "[2]"),
        ("{{ vars | jq('.numbers[0]') }}", "[1]"),
        ("{{ vars | jq('.second.string') }}", '["string"]'),
        ("{{ vars | jq('.second.string') | first }}", "string"),
        ("{{ vars | jq('.second.int') | first }}", "1"),
        ("{{ vars | jq('.second.float') | first }}", "1.123"),
        ("{{ vars | jq('.second.list') | first }}", '["string",1,1.123]'),
        ("{{ vars | jq('.second.bool') | first }}", "true"),
        ("{{ vars | jq('.second.date') | first }}", "2013-09-08T14:19:00Z"),
        ("{{ vars | jq('.second.map') | first }}", '{"string":"string","int":1,"float":1.123}'),
        ("{{ vars | jq('.numbers[]') }}", "[1,2,3]"),
        ("{{ vars | jq('.second.int') | first | className }}", "java.lang.Integer"),
        ("{{ vars | jq('.second.string') | first | className }}", "java.lang.String"),
        ("{% set object = vars | jq('.second.map') %}{{ object[0].string }}", "string"),
        # A string is parsed as JSON.
        ("{{ text | jq('.a.b[1]') }}", "[2]"),
        ("{{ '[1, 2]' | jq('.[]') }}", "[1,2]"),
        ("{{ '\"x\"' | jq('.') }}", '["x"]'),
        # Other values go in as Kestra prints them: null map entries dropped, dates as instants.
        ("{{ sparse | jq('keys') }}", '[["b"]]'),
        ("{{ start | jq('.') }}", '["2024-01-15T10:30:00.123456Z"]'),
        ("{{ 3 | jq('. * 2') }}", "[6]"),
        ("{{ true | jq('not') }}", "[false]"),
        # Every output, in order; none is an empty list.
        ("{{ vars | jq('.numbers[] | select(. > 1)') }}", "[2,3]"),
        ("{{ vars | jq('empty') }}", "[]"),
        ("{{ vars | jq('.numbers | map(. * 10) | add') | first }}", "60"),
        ("{{ vars | jq('.numbers | length') | first }}", "3"),
        ("{{ [3, 4] | jq('.[] / 2') }}", "[1.5,2]"),
        ("{{ vars | jq('.missing') }}", "[null]"),
        ("{{ vars | jq('[limit(2; repeat(1))]') | first }}", "[1,1]"),
        (
            "{{ vars | jq('.second | to_entries | map(.key) | sort') | first | join(',') }}",
            "bool,date,float,int,list,map,string",
        ),
        ("{{ null | jq('.') }}", ""),
        # User definitions and multi-line programs work as in jq.
        ("{{ vars | jq('def twice: . * 2; .numbers | map(twice)') | first }}", "[2,4,6]"),
        ("{{ vars | jq('.numbers\n| first') }}", "[1]"),
        # What reaches outside the template is disabled.
        ("{{ vars | jq('$ENV') }}", "[{}]"),
        ("{{ vars | jq('$ENV.PATH') }}", "[null]"),
        ("{{ vars | jq('.numbers | debug | length') }}", "[3]"),
        ("{{ vars | jq('.numbers | stderr | length') }}", "[3]"),
    ],
)
def test_jq(renderer: Renderer, template: str, expected: str) -> None:
    assert renderer.render(template, _context()) == expected


def test_jq_returns_a_list_of_values(renderer: Renderer) -> None:
    assert renderer.render_typed("{{ vars | jq('.second.map, .numbers') }}", _context()) == [
        {"string": "string", "int": 1, "float": 1.123},
        [1, 2, 3],
    ]


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ [1] | jq() }}", "The 'jq' filter expects an argument 'expression'."),
        ("{{ [1] | jq(1) }}", "The 'jq' filter expects an argument 'expression' with type string."),
        (
            "{{ 'abc' | jq('.') }}",
            "Unable to parse jq value 'abc' with type 'java.lang.String': "
            "Expecting value: line 1 column 1 (char 0)",
        ),
        (
            "{{ [1, 2] | jq('.[') }}",
            "Unable to parse jq value '[1, 2]' with type 'java.util.ArrayList': "
            "jq: error: syntax error, unexpected end of file at <top-level>, line 1, column 2",
        ),
        (
            "{{ [1] | jq('.a\n| nope') }}",
            "Unable to parse jq value '[1]' with type 'java.util.ArrayList': "
            "jq: error: nope/0 is not defined at <top-level>, line 2, column 3",
        ),
        (
            "{{ {'a': 1} | jq('.[0]') }}",
            "Unable to parse jq value '{a=1}' with type 'java.util.LinkedHashMap': "
            "Cannot index object with number",
        ),
        (
            "{{ [1] | jq('error(\"boom\")') }}",
            "Unable to parse jq value '[1]' with type 'java.util.ArrayList': boom",
        ),
        (
            "{{ [1] | jq('env') }}",
            "Unable to parse jq value '[1]' with type 'java.util.ArrayList': "
            "jq: env is not available in Kite",
        ),
        (
            "{{ [1] | jq('now') }}",
            "Unable to parse jq value '[1]' with type 'java.util.ArrayList': "
            "jq: now is not available in Kite",
        ),
        (
            "{{ [1] | jq('1 | strflocaltime(\"%Y\")') }}",
            "Unable to parse jq value '[1]' with type 'java.util.ArrayList': "
            "jq: strflocaltime is not available in Kite",
        ),
        (
            "{{ [1] | jq('\"x\" | modulemeta') }}",
            "Unable to parse jq value '[1]' with type 'java.util.ArrayList': "
            "jq: modulemeta is not available in Kite",
        ),
        (
            "{{ [1] | jq('import \"a\" as a; .') }}",
            "Unable to parse jq value '[1]' with type 'java.util.ArrayList': "
            "jq: error: syntax error, unexpected import at <top-level>, line 1, column 1",
        ),
    ],
)
def test_jq_errors(renderer: Renderer, template: str, message: str) -> None:
    with pytest.raises(ExpressionError) as error:
        renderer.render(template, _context())
    assert error.value.message == message


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ 1 | jq('range(1e12)') }}", "Loop iterations exceed the maximum of 100"),
        (
            "{{ 1 | jq('range(500) | tostring * 10') }}",
            "Rendered value exceeds the maximum of 2000 characters",
        ),
        ("{{ text | jq('.') }}", "Rendered value exceeds the maximum of 2000 characters"),
    ],
)
def test_jq_is_bounded_by_the_render_budget(template: str, message: str) -> None:
    renderer = Renderer(max_output_chars=2000, max_loop_iterations=100)
    with pytest.raises(ExpressionError) as error:
        renderer.render(template, {"text": "[" + "1," * 2000 + "1]"})
    assert error.value.message == message
