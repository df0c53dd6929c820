"""A revision's parsed YAML document, stored beside its source: a step reads it without PyYAML.

A cold function that reads a flow would otherwise import PyYAML (~15 ms) and run its pure-Python parser
(~3 ms a flow) before its first step; MessagePack decodes the same document in microseconds. Only a
document MessagePack gives back exactly is stored: YAML's dates, timestamps and binaries have no exact
MessagePack form, and such a flow is read from its source as before.
"""

from __future__ import annotations

from typing import Any

import msgspec

# A revision is one DynamoDB item (400 KB): its source, its document and its other attributes.
MAX_REVISION_BYTES = 360 * 1024

_SCALARS = (str, int, float, bool, type(None))
_KEYS = (str, int, float, bool)


def encode_document(document: Any, source: str) -> bytes | None:
    """The document to store beside `source`, or None when it must be read from the source."""
    if not _exact(document):
        return None
    try:
        encoded = msgspec.msgpack.encode(document)
    except OverflowError:  # an integer past 64 bits
        return None
    return encoded if len(encoded) + len(source.encode()) <= MAX_REVISION_BYTES else None


def decode_document(encoded: bytes) -> Any:
    return msgspec.msgpack.decode(encoded)


def read_document(source: str, encoded: bytes | None) -> Any:
    """A revision's document: the stored one, else its source's (None when the source is not YAML)."""
    if encoded is not None:
        return decode_document(encoded)
    from engine.flow.yaml_source import load_yaml

    return load_yaml(source).data


def _exact(value: Any) -> bool:
    """Whether MessagePack gives `value` back with the same types (its depth is bounded by the loader)."""
    if isinstance(value, dict):
        return all(isinstance(k, _KEYS) and _exact(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_exact(item) for item in value)
    return isinstance(value, _SCALARS)
