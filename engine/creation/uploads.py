"""Files sent for FILE inputs (spec part 1 §6): where they go in internal storage, and their URIs.

Kestra's API takes them as multipart file parts; Kite's callers (`kite run --file`, the conformance runner,
the REST API) hand them over as `Upload`s. Each lands at
`kestra:///<namespace path>/<flowId>/executions/<executionId>/inputs/<inputId>/<file name>` and the input's
value is that URI, typed and validated like any FILE input.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath

from msgspec import Struct

from engine.creation.inputs import InputError, InvalidInputsError
from engine.model.files import execution_prefix, kestra_path
from engine.resources import Storage


class Upload(Struct, frozen=True):
    name: str
    content: bytes


class PlacedUploads(Struct, frozen=True):
    """The URI each upload will have; `store` writes them once the execution is sure to be created."""

    uris: dict[str, str]
    contents: dict[str, bytes]

    def store(self, storage: Storage) -> None:
        for input_id, uri in self.uris.items():
            storage.put(kestra_path(uri), self.contents[input_id])


def place(uploads: Mapping[str, Upload], namespace: str, flow_id: str, execution_id: str) -> PlacedUploads:
    """Raises InvalidInputsError for every upload that cannot be stored (empty, or no usable file name)."""
    prefix = execution_prefix(namespace, flow_id, execution_id)
    errors, uris, contents = [], {}, {}
    for input_id, upload in uploads.items():
        # Only the last segment of the sent name: a file name never chooses a folder.
        name = PurePosixPath(upload.name.replace("\\", "/")).name
        if not upload.content or name in ("", ".", ".."):
            errors.append(InputError(input_id, f"Can't upload file: {upload.name or input_id}"))
            continue
        uris[input_id] = f"{prefix}inputs/{input_id}/{name}"
        contents[input_id] = upload.content
    if errors:
        raise InvalidInputsError(errors)
    return PlacedUploads(uris, contents)
