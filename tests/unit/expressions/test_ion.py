"""toIon and fromIon(ion): Amazon Ion text as Kestra's ion-java writer prints it and Kestra reads it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from engine.expressions import ExpressionError, Renderer


def _context() -> dict[str, Any]:
    return {
        "second": {
            "string": "string",
            "int": 1,
            "float": 1.123,
            "list": ["string", 1, 1.123],
            "bool": True,
            "map": {"string": "string", "int": 1, "float": 1.123},
        },
        "instant": datetime(2013, 9, 8, 14, 19, 0, 123456, tzinfo=UTC),
        "whole": datetime(2013, 9, 8, 14, 19, tzinfo=UTC),
        "paris": datetime(2013, 9, 8, 16, 19, tzinfo=ZoneInfo("Europe/Paris")),
        "offset": datetime(2013, 9, 8, 16, 19, 0, 500000, tzinfo=timezone(timedelta(hours=2))),
        "day": date(2024, 1, 15),
        "floats": [2.5, 1.0, -0.0, 0.0, 1e10, 1.5e-7, 12345678.9, 0.001, float("nan"), float("inf")],
        "decimals": [Decimal("2.50"), Decimal("7"), Decimal("-0.05"), Decimal("1.2E+3"), Decimal("5E-12")],
        "keys": {"a b": 1, "null": 2, "true": 3, "$1": 4, "$": 5, "": 6, "it's": 7, "_x9": 8, 1: 9},
        "text": 'q"b\\s\ttab\x01\x7f\x85\xe9€😀',
        "nulls": {"a": None, "b": [None]},
        "ion": {
            "kestra": '{date:2024-04-21T23:00:00.000Z, title:"Main_Page",views:109787}',
            "scalars": "[1, -2, 1.5, 1.5e0, true, null, null.int, \"s\", sym, '''long''', (a b)]",
            "big": "123456789012345678901234567890",
            "times": "[2024-04-21T23:00:00Z, 2024-04-21T00:00:00Z, 2024-04-21, 2024-04-21T10:00+02:00, "
            "2024-04-21T10:00-00:00]",
            "java": '[Instant::"2024-04-21T23:00:00Z", LocalDate::"2024-04-21", '
            'ZonedDateTime::"2013-09-08T16:19:00+02:00[Europe/Paris]", LocalTime::"10:15:30"]',
            "annotated": '[foo::"bar", foo::{a:1}, foo::2024-04-21T23:00:00Z]',
            "lobs": '[{{aGVsbG8=}}, {{"clob"}}]',
            "struct": "$ion_1_0 {a:1, a:2, 'b c':[]} {second:value}",
        },
    }


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        # Kestra's ToIonFilterTest (a Java Float 1.123 widens to 1.1230000257492065; a Python float does not).
        ("{{ second.string | toIon }}", '"string"'),
        ("{{ second.int | toIon }}", "1"),
        ("{{ second.float | toIon }}", "1.123e0"),
        ("{{ second.list | toIon }}", '["string",1,1.123e0]'),
        ("{{ second.bool | toIon }}", "true"),
        ("{{ second.map | toIon }}", '{string:"string",int:1,float:1.123e0}'),
        ("{{ {'empty_object':{}} | toIon }}", "{empty_object:{}}"),
        ("{{ null | toIon }}", "null"),
        # Dates: Instant as a millisecond timestamp, ZonedDateTime as an annotated string, LocalDate by day.
        ("{{ instant | toIon }}", "2013-09-08T14:19:00.123Z"),
        ("{{ whole | toIon }}", "2013-09-08T14:19:00.000Z"),
        ("{{ paris | toIon }}", 'ZonedDateTime::"2013-09-08T16:19:00+02:00[Europe/Paris]"'),
        ("{{ offset | toIon }}", 'ZonedDateTime::"2013-09-08T16:19:00.5+02:00"'),
        ("{{ day | toIon }}", "2024-01-15"),
        # ion-java's number, symbol and string printing.
        ("{{ floats | toIon }}", "[2.5e0,1e0,-0e0,0e0,1.0E10,1.5E-7,1.23456789E7,0.001e0,nan,+inf]"),
        ("{{ decimals | toIon }}", "[2.50,7.,-0.05,12d2,5d-12]"),
        (
            "{{ keys | toIon }}",
            "{'a b':1,'null':2,'true':3,'$1':4,$:5,'':6,'it\\'s':7,_x9:8,'1':9}",
        ),
        ("{{ text | toIon }}", '"q\\"b\\\\s\\ttab\\x01\\x7f\\x85é€😀"'),
        ("{{ nulls | toIon }}", "{a:null,b:[null]}"),
        ("{{ [1, [2, {'a': []}]] | toIon }}", "[1,[2,{a:[]}]]"),
        ("{{ {'k': 'v'} | toIon | length }}", "7"),
        # Kestra's FromIonFunctionTest, then Kite's reading of each Ion type.
        ("{{ fromIon(ion.kestra).title }}", "Main_Page"),
        ("{{ fromIon(ion.kestra) }}", '{"date":"2024-04-21T23:00:00Z","title":"Main_Page","views":109787}'),
        ("{{ fromIon(null) }}", ""),
        ("{{ fromIon(ion.scalars) }}", '[1,-2,1.5,1.5,true,null,null,"s","sym","long",["a","b"]]'),
        ("{{ fromIon(ion.big) }}", "123456789012345678901234567890"),
        ("{{ fromIon(ion.struct) }}", '{"a":2,"b c":[]}'),
        ("{{ fromIon(ion.lobs) }}", '["aGVsbG8=","Y2xvYg=="]'),
        ("{{ fromIon(ion.annotated) }}", '[null,null,"2024-04-21T23:00:00Z"]'),
        ("{{ fromIon(second | toIon) == second }}", "true"),
    ],
)
def test_ion(renderer: Renderer, template: str, expected: str) -> None:
    assert renderer.render(template, _context()) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("scalars", [1, -2, Decimal("1.5"), 1.5, True, None, None, "s", "sym", "long", ["a", "b"]]),
        (
            "times",
            [
                datetime(2024, 4, 21, 23, 0, tzinfo=UTC),
                date(2024, 4, 21),
                date(2024, 4, 21),
                datetime(2024, 4, 21, 10, 0, tzinfo=timezone(timedelta(hours=2))),
                datetime(2024, 4, 21, 10, 0, tzinfo=UTC),
            ],
        ),
        (
            "java",
            [
                datetime(2024, 4, 21, 23, 0, tzinfo=UTC),
                date(2024, 4, 21),
                datetime(2013, 9, 8, 14, 19, tzinfo=UTC),
                "10:15:30",
            ],
        ),
    ],
)
def test_from_ion_values(renderer: Renderer, name: str, expected: list[Any]) -> None:
    values = renderer.render_typed(f"{{{{ fromIon(ion.{name}) }}}}", _context())
    assert values == expected
    assert [type(value) for value in values] == [type(value) for value in expected]


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ fromIon() }}", "The 'fromIon' function expects an argument 'ion'."),
        ("{{ fromIon(1) }}", "The 'fromIon' function expects an argument 'ion' with type string."),
        ("{{ fromIon('{not: ion') }}", "Invalid ion: IERR_INVALID_SYNTAX"),
        ("{{ fromIon('') }}", "Invalid ion: No content to map due to end-of-input"),
        (
            "{{ fromIon('Instant::\"yesterday\"') }}",
            "Invalid ion: Text 'yesterday' could not be parsed as a date",
        ),
    ],
)
def test_ion_errors(renderer: Renderer, template: str, message: str) -> None:
    with pytest.raises(ExpressionError) as error:
        renderer.render(template, _context())
    assert error.value.message == message


def test_ion_is_bounded_by_the_render_budget() -> None:
    renderer = Renderer(max_output_chars=100)
    context = {"big": list(range(100)), "text": "[" + "1," * 100 + "]"}
    with pytest.raises(ExpressionError, match="exceeds the maximum output size"):
        renderer.render("{{ big | toIon }}", context)
    with pytest.raises(ExpressionError, match="exceeds the maximum of 100 characters"):
        renderer.render("{{ fromIon(text) }}", context)
