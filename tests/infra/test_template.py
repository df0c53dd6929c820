"""template.yaml passes cfn-lint with no errors."""

from __future__ import annotations

from pathlib import Path

from cfnlint.api import lint

import infra

TEMPLATE = Path(infra.__file__).parent.parent / "template.yaml"


def errors(text: str) -> list[str]:
    return [str(match) for match in lint(text) if match.rule.severity == "error"]


def test_template_has_no_lint_errors() -> None:
    assert errors(TEMPLATE.read_text()) == []


def test_the_lint_does_catch_errors() -> None:
    broken = TEMPLATE.read_text().replace("BillingMode: PAY_PER_REQUEST", "BillingMode: FREE_PLEASE", 1)
    assert errors(broken)
