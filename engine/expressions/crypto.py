"""Kestra's ``encrypt(key, plaintext)`` and ``decrypt(key, encrypted)`` functions (``EncryptionService``).

AES/GCM/NoPadding: the key is base64 (16, 24 or 32 bytes once decoded), a 12-byte IV is written before
the ciphertext, the tag is 128 bits and the result is base64 text. A null or empty text is returned as
is. The IV comes from the ``random_bytes(size)`` service hook: the engine draws no randomness itself.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from engine.expressions.errors import EvalError
from engine.expressions.state import RenderState, service_hook
from engine.model.aes import IV_LENGTH, KEY_LENGTHS, TAG_LENGTH, DecryptionError, encrypt, open_sealed

_MISSING: Any = object()
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


def fn_encrypt(state: RenderState, key: Any = _MISSING, plaintext: Any = _MISSING) -> Any:
    if key is _MISSING or plaintext is _MISSING:
        raise EvalError("The 'encrypt' function expects two arguments 'key' and 'plaintext'.")
    secret = _string(key, "encrypt", "key")
    text = _string(plaintext, "encrypt", "plaintext")
    if not text:
        return text
    aes_key = _key(secret, "encrypt")
    state.budget.check_size((IV_LENGTH + len(text.encode("utf-8")) + TAG_LENGTH + 2) // 3 * 4)
    iv = service_hook(state, "random_bytes", "encrypt")(IV_LENGTH)
    if not isinstance(iv, bytes) or len(iv) != IV_LENGTH:
        raise EvalError("Function [encrypt]: the random_bytes service returned an invalid value")
    return encrypt(aes_key, text, iv)


def fn_decrypt(state: RenderState, key: Any = _MISSING, encrypted: Any = _MISSING) -> Any:
    if key is _MISSING or encrypted is _MISSING:
        raise EvalError("The 'decrypt' function expects two arguments 'key' and 'encrypted'.")
    secret = _string(key, "decrypt", "key")
    text = _string(encrypted, "decrypt", "encrypted")
    if not text:
        return text
    aes_key = _key(secret, "decrypt")
    try:
        plain = open_sealed(aes_key, _base64(text, "decrypt", "encrypted value"))
    except DecryptionError as exc:
        raise EvalError(str(exc)) from exc
    return plain.decode("utf-8", errors="replace")


def _string(value: Any, function: str, name: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise EvalError(f"The '{function}' function expects an argument '{name}' with type string.")
    return value


def _key(key: str | None, function: str) -> bytes:
    if key is None:
        raise EvalError(f"The '{function}' function expects a key, got null.")
    secret = _base64(key, function, "key")
    if len(secret) not in KEY_LENGTHS:
        raise EvalError(f"Invalid AES key length: {len(secret)} bytes")
    return secret


def _base64(text: str, function: str, what: str) -> bytes:
    """Java's basic Base64 decoder: the standard alphabet, no line breaks, padding optional."""
    if _BASE64.fullmatch(text) is None or len(text.rstrip("=")) % 4 == 1:
        raise EvalError(f"Function [{function}]: the {what} is not valid base64")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except binascii.Error as exc:
        raise EvalError(f"Function [{function}]: the {what} is not valid base64") from exc
