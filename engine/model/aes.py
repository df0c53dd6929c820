"""Kestra's `EncryptionService`: AES/GCM/NoPadding, a 12-byte IV written before the ciphertext, a 128-bit
tag, base64 text. Shared by SECRET inputs (engine.encryption) and Pebble's encrypt()/decrypt()."""

from __future__ import annotations

import base64

IV_LENGTH = 12
TAG_LENGTH = 16
KEY_LENGTHS = (16, 24, 32)


class DecryptionError(ValueError):
    pass


def encrypt(key: bytes, text: str, iv: bytes) -> str:
    # cryptography is imported when first needed: most steps never encrypt (a cold start pays 8 ms for it).
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return base64.b64encode(iv + AESGCM(key).encrypt(iv, text.encode("utf-8"), None)).decode("ascii")


def open_sealed(key: bytes, data: bytes) -> bytes:
    """The plaintext of IV + ciphertext + tag, with Java's messages."""
    if len(data) < IV_LENGTH + TAG_LENGTH:
        raise DecryptionError("Input data too short to contain an expected tag length of 16bytes")
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        return AESGCM(key).decrypt(data[:IV_LENGTH], data[IV_LENGTH:], None)
    except InvalidTag as exc:
        # A wrong key and tampered data are indistinguishable, as in Java.
        raise DecryptionError("Tag mismatch") from exc
