from __future__ import annotations

import pytest

from engine.flow.loader import parse_flow
from engine.flow.source_edits import with_disabled

FLOW = (
    "id: a\nnamespace: b\n# keep me\ntasks:\n  - id: t\n"
    "    type: io.kestra.plugin.core.log.Log\n    message: m\n"
)


@pytest.mark.parametrize(
    ("source", "disabled"),
    [(FLOW, True), (FLOW, False), (FLOW + "disabled: true\n", False), (FLOW.rstrip("\n"), True)],
)
def test_the_flag_is_set_and_the_rest_kept(source: str, disabled: bool) -> None:
    edited = with_disabled(source, disabled)
    assert parse_flow(edited).disabled is disabled
    assert "# keep me" in edited
    assert edited.count("disabled:") == 1


def test_a_nested_disabled_is_left_alone() -> None:
    source = FLOW + "    disabled: true\n"
    edited = with_disabled(source, True)
    assert "    disabled: true\n" in edited
    assert edited.endswith("\ndisabled: true\n")
