"""encrypt(key, plaintext) / decrypt(key, encrypted): Kestra's EncryptionService (AES/GCM/NoPadding)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from engine.expressions import ExpressionError, Renderer

KESTRA_KEY = "I6EGNzRESu3X3pKZidrqCGOHQFUFC0yK"  # EncryptionServiceTest's key (AES-192)
ZERO_KEY = "AAAAAAAAAAAAAAAAAAAAAA=="  # 16 zero bytes
# The GCM specification's test case 2: zero key, zero IV, 16 zero bytes -> 0388dace... tag ab6e47d4...
NIST_CIPHERTEXT = "AAAAAAAAAAAAAAAAA4jazmC2o5LzKMK5cbL+eKtuR9Qs7BO99TpnshJXvd8="
COUNTING_IV = bytes(range(1, 13))


class Services:
    """The render services encrypt() needs: a clock and a source of random bytes that replays ``iv``."""

    def __init__(self, iv: Any = bytes(12)) -> None:
        self.iv = iv
        self.sizes: list[int] = []

    def now(self) -> datetime:
        return datetime(2025, 1, 1, tzinfo=UTC)

    def random_bytes(self, size: int) -> Any:
        self.sizes.append(size)
        return self.iv


@pytest.mark.parametrize(
    ("key", "plaintext", "iv", "expected"),
    [
        (ZERO_KEY, "\x00" * 16, bytes(12), NIST_CIPHERTEXT),
        (KESTRA_KEY, "Hello World!", COUNTING_IV, "AQIDBAUGBwgJCgsM5tUU5HKWmMUc+t2EAFjqf43LWuwsXaU6E1ZaGA=="),
        (KESTRA_KEY, "héllo ☃", COUNTING_IV, "AQIDBAUGBwgJCgsMxnPR5HHZ70j2FXyhoQI5ncCRhoDZ1arK6X0="),
    ],
)
def test_encrypt(renderer: Renderer, key: str, plaintext: str, iv: bytes, expected: str) -> None:
    services = Services(iv)
    assert renderer.render("{{ encrypt(key, text) }}", {"key": key, "text": plaintext}, services) == expected
    assert services.sizes == [12]


@pytest.mark.parametrize(
    ("key", "encrypted", "expected"),
    [
        (ZERO_KEY, NIST_CIPHERTEXT, "\x00" * 16),
        (KESTRA_KEY, "AQIDBAUGBwgJCgsM5tUU5HKWmMUc+t2EAFjqf43LWuwsXaU6E1ZaGA==", "Hello World!"),
        (KESTRA_KEY, "AQIDBAUGBwgJCgsMxnPR5HHZ70j2FXyhoQI5ncCRhoDZ1arK6X0=", "héllo ☃"),
        # Java's decoder does not require the padding.
        (KESTRA_KEY, "AQIDBAUGBwgJCgsMxnPR5HHZ70j2FXyhoQI5ncCRhoDZ1arK6X0", "héllo ☃"),
    ],
)
def test_decrypt(renderer: Renderer, key: str, encrypted: str, expected: str) -> None:
    assert renderer.render("{{ decrypt(key, value) }}", {"key": key, "value": encrypted}) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ decrypt(key, encrypt(key, 'toto')) }}", "toto"),
        ("{{ encrypt(key, '') }}", ""),
        ("{{ decrypt(key, '') }}", ""),
        ("{{ encrypt(key, null) is null }}", "true"),
        ("{{ decrypt(key, null) is null }}", "true"),
        ("{{ encrypt(null, '') }}", ""),
    ],
)
def test_round_trip_and_empty_values(renderer: Renderer, template: str, expected: str) -> None:
    assert renderer.render(template, {"key": KESTRA_KEY}, Services(COUNTING_IV)) == expected


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ encrypt('toto') }}", "The 'encrypt' function expects two arguments 'key' and 'plaintext'."),
        ("{{ decrypt('toto') }}", "The 'decrypt' function expects two arguments 'key' and 'encrypted'."),
        ("{{ encrypt(key, 1) }}", "The 'encrypt' function expects an argument 'plaintext' with type string."),
        ("{{ decrypt(1, 'x') }}", "The 'decrypt' function expects an argument 'key' with type string."),
        ("{{ encrypt(null, 'x') }}", "The 'encrypt' function expects a key, got null."),
        ("{{ encrypt('AAAA', 'x') }}", "Invalid AES key length: 3 bytes"),
        ("{{ encrypt('not-base64!', 'x') }}", "Function [encrypt]: the key is not valid base64"),
        ("{{ decrypt(key, 'AQID') }}", "Input data too short to contain an expected tag length of 16bytes"),
        ("{{ decrypt(key, '$$$$') }}", "Function [decrypt]: the encrypted value is not valid base64"),
        ("{{ decrypt(key, encrypt(other, 'toto')) }}", "Tag mismatch"),
    ],
)
def test_errors(renderer: Renderer, template: str, message: str) -> None:
    context = {"key": KESTRA_KEY, "other": ZERO_KEY}
    with pytest.raises(ExpressionError) as error:
        renderer.render(template, context, Services(COUNTING_IV))
    assert error.value.message == message


@pytest.mark.parametrize(
    ("services", "message"),
    [
        (None, "Function [encrypt] is not available: the runtime provides no 'random_bytes' service"),
        (Services(b"short"), "Function [encrypt]: the random_bytes service returned an invalid value"),
        (
            Services("not bytes at all"),
            "Function [encrypt]: the random_bytes service returned an invalid value",
        ),
    ],
)
def test_the_iv_comes_from_the_services(renderer: Renderer, services: Any, message: str) -> None:
    with pytest.raises(ExpressionError) as error:
        renderer.render("{{ encrypt(key, 'toto') }}", {"key": KESTRA_KEY}, services)
    assert error.value.message == message


def test_encrypt_is_bounded_by_the_render_budget() -> None:
    renderer = Renderer(max_output_chars=100)
    with pytest.raises(ExpressionError, match="exceeds the maximum of 100 characters"):
        renderer.render("{{ encrypt(key, text) }}", {"key": KESTRA_KEY, "text": "x" * 60}, Services())
