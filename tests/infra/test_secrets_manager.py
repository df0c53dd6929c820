"""SecretsManagerSecretStore on moto: lookup along the namespace hierarchy, and its cache."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from engine.memory import ManualClock
from infra.aws.model_loader import new_session
from infra.aws.secrets_manager import SecretsManagerSecretStore, secret_names
from infra.aws.session import AwsSession

PREFIX = "kite/"


@pytest.fixture
def session() -> Iterator[AwsSession]:
    with mock_aws():
        botocore_session = new_session()
        botocore_session.set_credentials("testing", "testing")
        botocore_session.set_config_variable("region", "us-east-1")
        yield AwsSession(botocore_session)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2025, 1, 1, tzinfo=UTC))


def _create(session: AwsSession, name: str, value: str) -> None:
    session.secretsmanager.create_secret(Name=name, SecretString=value)


def _calls(session: AwsSession) -> int:
    return session.stats.snapshot().calls.get(("secrets-manager", "GetSecretValue"), 0)


def test_the_names_go_from_the_namespace_up_to_the_global_one() -> None:
    assert secret_names("p/", "a.b.c", "KEY") == ["p/a/b/c/KEY", "p/a/b/KEY", "p/a/KEY", "p/KEY"]
    assert secret_names("", "", "KEY") == ["KEY"]


def test_the_most_specific_secret_wins(session: AwsSession, clock: ManualClock) -> None:
    _create(session, "kite/KEY", "global")
    _create(session, "kite/company/KEY", "company")
    _create(session, "kite/company/team/KEY", "team")
    _create(session, "kite/other/ONLY_OTHER", "other")
    store = SecretsManagerSecretStore(session, PREFIX, clock)
    assert store.get("company.team.project", "KEY") == "team"
    assert store.get("company.team", "KEY") == "team"
    assert store.get("company.sales", "KEY") == "company"
    assert store.get("elsewhere", "KEY") == "global"
    assert store.get("company.team", "ONLY_OTHER") is None


def test_a_secret_marked_for_deletion_is_absent(session: AwsSession, clock: ManualClock) -> None:
    _create(session, "kite/KEY", "global")
    _create(session, "kite/ns/KEY", "deleted")
    session.secretsmanager.delete_secret(SecretId="kite/ns/KEY")
    assert SecretsManagerSecretStore(session, PREFIX, clock).get("ns", "KEY") == "global"


def test_answers_are_cached_for_the_ttl(session: AwsSession, clock: ManualClock) -> None:
    store = SecretsManagerSecretStore(session, PREFIX, clock, ttl_seconds=60)
    assert store.get("a.b", "KEY") is None
    assert _calls(session) == 3  # a/b/KEY, a/KEY, KEY

    _create(session, "kite/a/KEY", "new")
    clock.advance(timedelta(seconds=59))
    assert store.get("a.b", "KEY") is None  # the miss is cached too
    assert _calls(session) == 3

    clock.advance(timedelta(seconds=1))
    assert store.get("a.b", "KEY") == "new"
    assert _calls(session) == 5

    session.secretsmanager.put_secret_value(SecretId="kite/a/KEY", SecretString="rotated")
    assert store.get("a.b", "KEY") == "new"
    assert _calls(session) == 5
    clock.advance(timedelta(seconds=60))
    assert store.get("a.b", "KEY") == "rotated"


def test_the_cache_is_per_namespace_and_key(session: AwsSession, clock: ManualClock) -> None:
    _create(session, "kite/a/KEY", "a")
    _create(session, "kite/KEY", "global")
    store = SecretsManagerSecretStore(session, PREFIX, clock)
    assert (store.get("a", "KEY"), store.get("b", "KEY"), store.get("a", "OTHER")) == ("a", "global", None)


def test_other_errors_are_not_taken_for_a_missing_secret(session: AwsSession, clock: ManualClock) -> None:
    # A denied read must fail the lookup, not quietly fall back to a less specific secret.
    session.secretsmanager.meta.events.register("before-call.secretsmanager.GetSecretValue", _deny_access)
    with pytest.raises(ClientError, match="AccessDenied"):
        SecretsManagerSecretStore(session, PREFIX, clock).get("ns", "KEY")


def _deny_access(**_: object) -> None:
    raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetSecretValue")
