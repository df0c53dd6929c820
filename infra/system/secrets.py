"""Secrets from the environment, the way Kestra's open-source edition reads them.

`SECRET_<KEY>` holds the base64 of the value; keys are matched case-insensitively. A value that is not
valid base64 is refused when the store is built, with the variable's name, rather than later and silently.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence

from engine.config import ConfigError
from engine.resources import SecretStore

_PREFIX = "SECRET_"


class SecretConfigError(ConfigError):
    """A configuration error: the `kite` command reports it as one, with the variable's name."""


class EnvSecretStore:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self._secrets: dict[str, str] = {}
        for name, value in environ.items():
            if not name.startswith(_PREFIX) or name == _PREFIX:
                continue
            try:
                decoded = base64.b64decode("".join(value.split()), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError) as exc:
                raise SecretConfigError(
                    f"Could not decode secret '{name}', make sure it is Base64-encoded: {exc}"
                ) from None
            self._secrets[name[len(_PREFIX) :].upper()] = decoded

    def get(self, namespace: str, key: str) -> str | None:
        return self._secrets.get(key.upper())


class ChainedSecretStore:
    """The first store that knows the key answers."""

    def __init__(self, stores: Sequence[SecretStore]) -> None:
        self._stores = tuple(stores)

    def get(self, namespace: str, key: str) -> str | None:
        for store in self._stores:
            value = store.get(namespace, key)
            if value is not None:
                return value
        return None
