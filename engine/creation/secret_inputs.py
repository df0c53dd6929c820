"""SECRET inputs at rest (spec part 1 §6): Kestra's `EncryptionService` (AES/GCM, a 12-byte IV before the
ciphertext, base64 text) under the configured key.

An execution stores a SECRET input's ciphertext only, so its JSON, its messages and its stored copy never
show the value; expressions see it decrypted, and task logs mask it (PortServices.masked).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from engine.creation.inputs import InputError, InvalidInputsError
from engine.model.aes import IV_LENGTH, DecryptionError, encrypt, open_sealed
from engine.task_api import Input

NOT_CONFIGURED = "Unable to use a `SECRET` input/output as encryption is not configured"


def decrypt(keys: Sequence[bytes], text: str) -> str:
    """With the first of `keys` that opens it: the current key, then the ones it replaced."""
    failure: ValueError | None = None
    try:
        sealed = base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        failure, keys = exc, ()
    for key in keys:
        try:
            return open_sealed(key, sealed).decode("utf-8")
        except DecryptionError as exc:
            failure = exc
    raise DecryptionError(f"Unable to decrypt a SECRET input (wrong key or altered value): {failure}")


def seal_secrets(
    declared: Sequence[Input] | None,
    inputs: Mapping[str, Any],
    key: bytes | None,
    random_bytes: Callable[[int], bytes],
) -> dict[str, Any]:
    """Typed inputs with each SECRET value encrypted; refused, as Kestra does, when there is no key."""
    secret_ids = [spec.id for spec in declared or () if spec.type == "SECRET"]
    if key is None:
        present = [i for i in secret_ids if isinstance(value_at(inputs, i), str)]
        if present:
            raise InvalidInputsError([InputError(i, NOT_CONFIGURED) for i in present])
        return dict(inputs)
    return _replace(
        inputs, secret_ids, lambda text: encrypt(key, text, random_bytes(IV_LENGTH)) if text else text
    )


def reveal_secrets(
    declared: Sequence[Input] | None, inputs: Mapping[str, Any], keys: Sequence[bytes]
) -> dict[str, Any]:
    """Stored inputs with each SECRET value decrypted (what expressions see), by the first of `keys` that
    opens it (EngineConfig.decryption_keys)."""
    secret_ids = [spec.id for spec in declared or () if spec.type == "SECRET"]
    if not keys or not secret_ids:
        return dict(inputs)
    return _replace(inputs, secret_ids, lambda text: decrypt(keys, text) if text else text)


def value_at(inputs: Mapping[str, Any], dotted: str) -> Any:
    value: Any = inputs
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _replace(
    inputs: Mapping[str, Any], dotted_ids: list[str], change: Callable[[str], str]
) -> dict[str, Any]:
    """A copy with the string at each dotted id changed (inputs nest by dots); the original is untouched."""
    result = dict(inputs)
    for dotted in dotted_ids:
        node = result
        *parents, last = dotted.split(".")
        for part in parents:
            child = node.get(part)
            if not isinstance(child, Mapping):
                break
            node[part] = node = dict(child)
        else:
            if isinstance(node.get(last), str):
                node[last] = change(node[last])
    return result
