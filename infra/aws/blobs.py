"""Private S3 objects for what does not fit in a DynamoDB item or an SQS message."""

from __future__ import annotations

import hashlib
from datetime import datetime

from engine.resources import NotFoundError
from infra.aws.session import AwsSession


class S3Blobs:
    def __init__(self, session: AwsSession, bucket: str) -> None:
        self._session = session
        self.bucket = bucket

    def put(self, key: str, data: bytes) -> None:
        self._session.s3.put_object(Bucket=self.bucket, Key=key, Body=data)

    def put_addressed(self, prefix: str, text: str) -> str:
        """Store `text` under a key derived from its content and return the key. Two writers racing to
        spill different content can therefore never overwrite each other's object."""
        data = text.encode()
        key = f"{prefix}/{hashlib.sha256(data).hexdigest()}.json"
        self.put(key, data)
        return key

    def get(self, key: str) -> bytes:
        s3 = self._session.s3
        try:
            return s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except s3.exceptions.NoSuchKey:
            raise NotFoundError(f"s3://{self.bucket}/{key}") from None

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
