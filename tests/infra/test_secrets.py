from __future__ import annotations

import base64

import pytest

from engine.memory import InMemorySecretStore
from infra.system.secrets import ChainedSecretStore, EnvSecretStore, SecretConfigError


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_env_secrets_are_base64_and_case_insensitive() -> None:
    store = EnvSecretStore(
        {
            "SECRET_API_KEY": _b64("k3y"),
            "SECRET_MULTI": _b64("a" * 80)[:60] + "\n" + _b64("a" * 80)[60:],
            "OTHER": "x",
        }
    )
    assert store.get("any.namespace", "api_key") == "k3y"
    assert store.get("any.namespace", "MULTI") == "a" * 80
    assert store.get("any.namespace", "OTHER") is None


def test_a_value_that_is_not_base64_is_named() -> None:
    with pytest.raises(SecretConfigError, match="SECRET_BROKEN"):
        EnvSecretStore({"SECRET_BROKEN": "not base64!"})


def test_the_first_store_that_knows_the_key_answers() -> None:
    chain = ChainedSecretStore(
        [InMemorySecretStore({"A": "first"}), InMemorySecretStore({"A": "x", "B": "second"})]
    )
    assert (chain.get("ns", "A"), chain.get("ns", "B"), chain.get("ns", "C")) == ("first", "second", None)
