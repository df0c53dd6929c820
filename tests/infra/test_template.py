"""template.yaml passes cfn-lint with no errors and declares what no local run shows (bucket lifecycle)."""

from __future__ import annotations

from pathlib import Path

from cfnlint.api import lint
from cfnlint.decode.decode import decode_str

import infra
from infra.aws.message_bus import QUEUED_BODIES

TEMPLATE = Path(infra.__file__).parent.parent / "template.yaml"


def errors(text: str) -> list[str]:
    return [str(match) for match in lint(text) if match.rule.severity == "error"]


def test_template_has_no_lint_errors() -> None:
    assert errors(TEMPLATE.read_text()) == []


def test_the_lint_does_catch_errors() -> None:
    broken = TEMPLATE.read_text().replace("BillingMode: PAY_PER_REQUEST", "BillingMode: FREE_PLEASE", 1)
    assert errors(broken)


def test_the_bucket_aborts_the_uploads_a_stopped_function_left() -> None:
    """Parts of an unfinished multipart upload are billed until it is aborted; nothing else would."""
    template, problems = decode_str(TEMPLATE.read_text())
    assert not problems and template is not None
    (bucket,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::S3::Bucket"]
    rules = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    assert [r["AbortIncompleteMultipartUpload"] for r in rules if "AbortIncompleteMultipartUpload" in r] == [
        {"DaysAfterInitiation": 1}
    ]


def test_the_bodies_of_queued_messages_expire_after_their_messages() -> None:
    """SQS keeps a message 14 days at most (its dead-letter queue too): its spilled body is not needed
    after."""
    template, problems = decode_str(TEMPLATE.read_text())
    assert not problems and template is not None
    (bucket,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::S3::Bucket"]
    rules = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    expiring = {r["Prefix"]: r["ExpirationInDays"] for r in rules if "ExpirationInDays" in r}
    assert expiring == {f"{QUEUED_BODIES}/": 15}
    retention = {
        r["Properties"].get("MessageRetentionPeriod")
        for r in template["Resources"].values()
        if r["Type"] == "AWS::SQS::Queue"
    }
    assert max(retention) / 86400 < 15
