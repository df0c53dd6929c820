"""Secrets from AWS Secrets Manager, looked up along the namespace hierarchy like Kestra's secret backends.

The secret `KEY` seen from namespace `a.b.c` is the first of `<prefix>a/b/c/KEY`, `<prefix>a/b/KEY`,
`<prefix>a/KEY` and `<prefix>KEY` that exists. Answers, found or not, are cached for a while: a Lambda
container serves many invocations, and every lookup (a miss costs one call per level) is a paid API call.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from botocore.exceptions import ClientError
from msgspec import Struct

from engine.resources import Clock
from infra.aws.session import AwsSession

# A secret marked for deletion answers InvalidRequestException until its recovery window ends (up to 30
# days); it is gone as far as flows are concerned, so the lookup goes on up the hierarchy.
_ABSENT = frozenset({"ResourceNotFoundException", "InvalidRequestException"})


def secret_names(prefix: str, namespace: str, key: str) -> list[str]:
    """The names to try, most specific first."""
    parts = [part for part in namespace.split(".") if part]
    paths = ["/".join(parts[:depth]) + "/" for depth in range(len(parts), 0, -1)]
    return [f"{prefix}{path}{key}" for path in [*paths, ""]]


class _Cached(Struct, frozen=True):
    value: str | None
    expires: datetime


class SecretsManagerSecretStore:
    def __init__(self, session: AwsSession, prefix: str, clock: Clock, ttl_seconds: float = 60) -> None:
        self._session = session
        self._prefix = prefix
        self._clock = clock
        self._ttl = timedelta(seconds=ttl_seconds)
        self._cache: dict[tuple[str, str], _Cached] = {}

    def get(self, namespace: str, key: str) -> str | None:
        now = self._clock.now()
        cached = self._cache.get((namespace, key))
        if cached is not None and now < cached.expires:
            return cached.value
        value = self._lookup(namespace, key)
        self._cache[(namespace, key)] = _Cached(value, now + self._ttl)
        return value

    def _lookup(self, namespace: str, key: str) -> str | None:
        for name in secret_names(self._prefix, namespace, key):
            value = self._fetch(name)
            if value is not None:
                return value
        return None

    def _fetch(self, name: str) -> str | None:
        try:
            response = self._session.secretsmanager.get_secret_value(SecretId=name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _ABSENT:
                return None
            raise
        # Kestra secrets are text: a binary-only secret is not one, and the lookup goes on.
        return response.get("SecretString")
