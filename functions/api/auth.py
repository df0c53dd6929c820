"""Who may call the management routes: HTTP Basic credentials, as Kestra OSS's basic auth, checked against
salted PBKDF2 hashes (`KITE_API_USERS`: `user:pbkdf2_sha256$iterations$salt$hash`, comma-separated; see
`kite hash-password`), or bearer tokens checked against their SHA-256 (`KITE_API_TOKENS`:
`name:sha256$hex`, comma-separated; see `kite token`). With neither configured every call is refused,
unless `KITE_API_OPEN` is `true`: what `kite serve` sets on loopback without `--auth`.

With `KITE_API_AUTH` set to AWS_IAM (the template's ApiAuth), API Gateway checks each caller's SigV4
signature against IAM instead, and only a request it authorized that way (it says who signed) passes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

USERS_ENV = "KITE_API_USERS"
TOKENS_ENV = "KITE_API_TOKENS"
OPEN_ENV = "KITE_API_OPEN"
MODE_ENV = "KITE_API_AUTH"
IAM = "AWS_IAM"
_SCHEME = "pbkdf2_sha256"
_ITERATIONS = 200_000


def hash_password(password: str, *, iterations: int = _ITERATIONS, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"{_SCHEME}${iterations}${salt}${digest.hex()}"


def hash_token(token: str) -> str:
    return "sha256$" + hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def users(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """User name → password hash, as configured."""
    return _entries(environ, USERS_ENV, _SCHEME + "$")


def tokens(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """Token name → token hash, as configured."""
    return _entries(environ, TOKENS_ENV, "sha256$")


def _entries(environ: Mapping[str, str], variable: str, scheme: str) -> dict[str, str]:
    configured: dict[str, str] = {}
    for entry in filter(None, (e.strip() for e in environ.get(variable, "").split(","))):
        name, separator, hashed = entry.partition(":")
        if not separator or not hashed.startswith(scheme):
            raise ValueError(f"{variable}: expected name:{scheme}..., got an entry for '{name}'")
        configured[name] = hashed
    return configured


def is_open(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get(OPEN_ENV, "").lower() == "true"


def by_iam(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get(MODE_ENV, "") == IAM


def iam_caller(event: Mapping[str, Any]) -> str | None:
    """Who signed a request API Gateway authorized with IAM (its `requestContext.authorizer.iam`)."""
    identity = ((event.get("requestContext") or {}).get("authorizer") or {}).get("iam") or {}
    caller = identity.get("userArn") or identity.get("callerId")
    return str(caller) if caller else None


def allowed(
    authorization: str,
    configured: Mapping[str, str],
    configured_tokens: Mapping[str, str] | None = None,
    *,
    open_without_credentials: bool = False,
) -> bool:
    """Whether an `Authorization` header carries a configured user's password or a configured token."""
    known_tokens = configured_tokens or {}
    if not configured and not known_tokens:
        return open_without_credentials
    scheme, _, credential = authorization.partition(" ")
    if scheme.lower() == "bearer":
        candidate = hash_token(credential.strip())
        # Every hash compared, so that timing does not tell which came close.
        return sum(hmac.compare_digest(candidate, hashed) for hashed in known_tokens.values()) > 0
    return bool(configured) and _verified(authorization, tuple(sorted(configured.items())))


@lru_cache(maxsize=256)
def _verified(authorization: str, configured_items: tuple[tuple[str, str], ...]) -> bool:
    """Kept per container, since a PBKDF2 hash is slow by design. The hash is computed even for an unknown
    user, so that timing tells nothing."""
    configured = dict(configured_items)
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        name, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    expected = configured.get(name) or hash_password("", salt="unknown-user")
    _, iterations, salt, _ = expected.split("$")
    candidate = hash_password(password, iterations=int(iterations), salt=salt)
    return hmac.compare_digest(candidate, expected) and name in configured
