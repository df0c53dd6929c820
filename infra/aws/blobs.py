"""Private S3 objects for what does not fit in a DynamoDB item or an SQS message."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from engine.resources import NotFoundError
from infra.aws.session import AwsSession

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef


# A multipart upload's part (S3's minimum is 5 MB, but for the last one).
PART_BYTES = 8 * 1024 * 1024


class S3Blobs:
    def __init__(self, session: AwsSession, bucket: str) -> None:
        self._session = session
        self.bucket = bucket

    def put(self, key: str, data: bytes) -> None:
        self._session.s3.put_object(Bucket=self.bucket, Key=key, Body=data)

    def put_chunks(self, key: str, chunks: Iterable[bytes]) -> int:
        """Store what `chunks` hold, `PART_BYTES` in memory at most: one PutObject when it is small, else a
        multipart upload (aborted if the chunks fail). The size stored."""
        s3 = self._session.s3
        buffer = bytearray()
        upload_id: str | None = None
        parts: list[CompletedPartTypeDef] = []
        size = 0
        try:
            for chunk in chunks:
                buffer += chunk
                size += len(chunk)
                while len(buffer) >= PART_BYTES:
                    if upload_id is None:
                        upload_id = s3.create_multipart_upload(Bucket=self.bucket, Key=key)["UploadId"]
                    parts.append(self._part(key, upload_id, len(parts) + 1, bytes(buffer[:PART_BYTES])))
                    del buffer[:PART_BYTES]
            if upload_id is None:
                self.put(key, bytes(buffer))
                return size
            if buffer:
                parts.append(self._part(key, upload_id, len(parts) + 1, bytes(buffer)))
            s3.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
            return size
        except BaseException:
            if upload_id is not None:
                s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            raise

    def _part(self, key: str, upload_id: str, number: int, data: bytes) -> CompletedPartTypeDef:
        answer = self._session.s3.upload_part(
            Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data
        )
        return {"ETag": answer["ETag"], "PartNumber": number}

    def put_addressed(self, prefix: str, text: str) -> str:
        """Store `text` under a key derived from its content and return the key. Two writers racing to
        spill different content can therefore never overwrite each other's object."""
        data = text.encode()
        key = f"{prefix}/{hashlib.sha256(data).hexdigest()}.json"
        self.put(key, data)
        return key

    def get(self, key: str, limit: int | None = None) -> bytes:
        """The object, or its first `limit` bytes (one ranged GET: the rest is never read)."""
        s3 = self._session.s3
        if limit is not None and limit <= 0:
            if self.size(key) is None:
                raise NotFoundError(f"s3://{self.bucket}/{key}")
            return b""
        try:
            if limit is None:
                return s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            return s3.get_object(Bucket=self.bucket, Key=key, Range=f"bytes=0-{limit - 1}")["Body"].read()
        except s3.exceptions.NoSuchKey:
            raise NotFoundError(f"s3://{self.bucket}/{key}") from None
        except s3.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") != "InvalidRange":
                raise
            return b""  # a range of an empty object

    def size(self, key: str) -> int | None:
        """The object's size, or None when there is no such object."""
        s3 = self._session.s3
        try:
            head = s3.head_object(Bucket=self.bucket, Key=key)
        except s3.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return int(head["ContentLength"])

    def exists(self, key: str) -> bool:
        return self.size(key) is not None

    def list(self, prefix: str) -> list[tuple[str, int, datetime]]:
        """(key, size, last modified) of every object under `prefix`, sorted by key."""
        pages = self._session.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return [
            (item["Key"], int(item["Size"]), item["LastModified"])
            for page in pages
            for item in page.get("Contents", [])
        ]

    def delete(self, key: str) -> bool:
        """Remove one object; False when there was none (S3 does not say, so it is looked up first)."""
        if not self.exists(key):
            return False
        self._session.s3.delete_object(Bucket=self.bucket, Key=key)
        return True
