from __future__ import annotations

import pytest

from infra.aws.settings import AwsSettings, MissingSettingError

SETTINGS = AwsSettings(
    flows_table="flows",
    executions_table="executions",
    state_table="state",
    dispatch_queue_url="https://sqs/dispatch.fifo",
    worker_queue_url="https://sqs/worker",
    timer_queue_url="https://sqs/timer",
    timer_queue_arn="arn:aws:sqs:eu-west-1:1:timer",
    bucket="bucket",
    schedule_group="timers",
    scheduler_role_arn="arn:aws:iam::1:role/scheduler",
    secrets_prefix="kite/",
)


def test_round_trip_through_the_environment() -> None:
    env = SETTINGS.as_env()
    assert env["KITE_DISPATCH_QUEUE_URL"] == "https://sqs/dispatch.fifo"
    assert AwsSettings.from_env(env) == SETTINGS


def test_missing_variables_are_named() -> None:
    env = SETTINGS.as_env()
    del env["KITE_BUCKET"]
    env["KITE_TIMER_QUEUE_ARN"] = ""
    with pytest.raises(MissingSettingError, match="KITE_TIMER_QUEUE_ARN, KITE_BUCKET"):
        AwsSettings.from_env(env)
