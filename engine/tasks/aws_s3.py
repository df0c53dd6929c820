"""io.kestra.plugin.aws.s3: Upload, Download, Downloads, List, Delete, Copy — objects between S3 and the
execution's storage."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field

from engine.task_api import Model, RunContext, TaskFailedError, task_type
from engine.tasks.aws_connection import AwsTask


@task_type("io.kestra.plugin.aws.s3.Upload")
class Upload(AwsTask):
    bucket: str
    key: str
    from_: str | list[str] = Field(alias="from")
    content_type: str | None = Field(None, alias="contentType")
    metadata: dict[str, str] | None = None
    cache_control: str | None = Field(None, alias="cacheControl")
    storage_class: str | None = Field(None, alias="storageClass")

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        bucket, key = ctx.render(self.bucket, "bucket"), ctx.render(self.key, "key")
        sources = self._sources(ctx)
        if len(sources) == 1:
            targets = [(sources[0], key)]
        else:  # several files: `key` is their folder
            targets = [(uri, f"{key.rstrip('/')}/{uri.rsplit('/', 1)[-1]}") for uri in sources]
        for uri, target in targets:
            self.call(
                ctx,
                "s3",
                "put_object",
                {
                    "Bucket": bucket,
                    "Key": target,
                    "Body": ctx.read_file(uri),
                    "ContentType": ctx.render(self.content_type, "contentType")
                    if self.content_type
                    else None,
                    "Metadata": {k: ctx.render(v, f"metadata.{k}") for k, v in (self.metadata or {}).items()}
                    or None,
                    "CacheControl": self.cache_control,
                    "StorageClass": self.storage_class,
                },
            )
        return {"bucket": bucket, "key": key}

    def _sources(self, ctx: RunContext) -> list[str]:
        if isinstance(self.from_, list):
            return [ctx.render(uri, "from") for uri in self.from_]
        rendered = ctx.render(self.from_, "from")
        if rendered.lstrip().startswith("["):
            listed = json.loads(rendered)
            if not isinstance(listed, list):
                raise TaskFailedError("from must be a file URI or a list of them")
            return [str(uri) for uri in listed]
        return [rendered]


@task_type("io.kestra.plugin.aws.s3.Download")
class Download(AwsTask):
    bucket: str
    key: str
    version_id: str | None = Field(None, alias="versionId")

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        bucket, key = ctx.render(self.bucket, "bucket"), ctx.render(self.key, "key")
        version = ctx.render(self.version_id, "versionId") if self.version_id else None
        response = self.call(ctx, "s3", "get_object", {"Bucket": bucket, "Key": key, "VersionId": version})
        body: bytes = response.get("Body") or b""
        return {
            "uri": ctx.put_file(key.rsplit("/", 1)[-1] or "object", body),
            "contentLength": len(body),
            "contentType": response.get("ContentType"),
            "metadata": response.get("Metadata") or {},
            "versionId": response.get("VersionId"),
        }


class _Listing(AwsTask):
    """The objects under a prefix, as List and Downloads select them."""

    bucket: str
    prefix: str | None = None
    delimiter: str | None = None
    marker: str | None = None
    max_keys: int = Field(1000, alias="maxKeys")
    regexp: str | None = None
    filter: Literal["FILES", "DIRECTORY", "BOTH"] = "BOTH"

    def listed(self, ctx: RunContext) -> tuple[str, list[dict[str, Any]]]:
        bucket = ctx.render(self.bucket, "bucket")
        response = self.call(
            ctx,
            "s3",
            "list_objects",
            {
                "Bucket": bucket,
                "Prefix": ctx.render(self.prefix, "prefix") if self.prefix else None,
                "Delimiter": self.delimiter,
                "Marker": self.marker,
                "MaxKeys": self.max_keys,
            },
        )
        pattern = re.compile(ctx.render(self.regexp, "regexp")) if self.regexp else None
        objects = []
        for item in response.get("Contents") or ():
            key = str(item["Key"])
            directory = key.endswith("/")
            if (self.filter == "FILES" and directory) or (self.filter == "DIRECTORY" and not directory):
                continue
            if pattern is not None and not pattern.fullmatch(key):
                continue
            objects.append(
                {
                    "key": key,
                    "uri": f"s3://{bucket}/{key}",
                    "size": item.get("Size"),
                    "etag": item.get("ETag"),
                    "lastModified": item.get("LastModified"),
                    "storageClass": item.get("StorageClass"),
                }
            )
        return bucket, objects


@task_type("io.kestra.plugin.aws.s3.List")
class List(_Listing):
    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        return {"objects": self.listed(ctx)[1]}


class MoveTo(Model):
    bucket: str | None = None
    key: str


DOWNLOADS_TYPE = "io.kestra.plugin.aws.s3.Downloads"


@task_type(DOWNLOADS_TYPE)
class Downloads(_Listing):
    """Every listed object into the execution's storage, then each moved, deleted or left (`action`)."""

    action: Literal["MOVE", "DELETE", "NONE"]
    move_to: MoveTo | None = Field(None, alias="moveTo")
    max_files: int = Field(25, alias="maxFiles", ge=1)

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        if self.action == "MOVE" and self.move_to is None:
            raise TaskFailedError("moveTo is required when action is MOVE")
        bucket, objects = self.listed(ctx)
        if len(objects) > self.max_files:
            ctx.log(
                "WARN", f"{len(objects)} objects found, only the first {self.max_files} downloaded (maxFiles)"
            )
            objects = objects[: self.max_files]
        files: dict[str, str] = {}
        for item in objects:
            if item["key"].endswith("/"):
                continue
            body: bytes = (
                self.call(ctx, "s3", "get_object", {"Bucket": bucket, "Key": item["key"]}).get("Body") or b""
            )
            item["uri"] = files[item["key"]] = ctx.put_file(item["key"].rsplit("/", 1)[-1], body)
            self._dispose(ctx, bucket, item["key"])
        return {"objects": objects, "outputFiles": files}

    def _dispose(self, ctx: RunContext, bucket: str, key: str) -> None:
        if self.action == "MOVE" and self.move_to is not None:
            target_bucket = (
                ctx.render(self.move_to.bucket, "moveTo.bucket") if self.move_to.bucket else bucket
            )
            folder = ctx.render(self.move_to.key, "moveTo.key").rstrip("/")
            source = {"Bucket": bucket, "Key": key}
            target = f"{folder}/{key.rsplit('/', 1)[-1]}"
            self.call(
                ctx, "s3", "copy_object", {"Bucket": target_bucket, "Key": target, "CopySource": source}
            )
        if self.action in ("MOVE", "DELETE"):
            self.call(ctx, "s3", "delete_object", {"Bucket": bucket, "Key": key})


@task_type("io.kestra.plugin.aws.s3.Delete")
class Delete(AwsTask):
    bucket: str
    key: str

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        params = {"Bucket": ctx.render(self.bucket, "bucket"), "Key": ctx.render(self.key, "key")}
        response = self.call(ctx, "s3", "delete_object", params)
        return {"deleteMarker": bool(response.get("DeleteMarker")), "versionId": response.get("VersionId")}


class ObjectRef(Model):
    bucket: str
    key: str
    version_id: str | None = Field(None, alias="versionId")


@task_type("io.kestra.plugin.aws.s3.Copy")
class Copy(AwsTask):
    from_: ObjectRef = Field(alias="from")
    to: ObjectRef
    delete: bool = False

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        source = {
            "Bucket": ctx.render(self.from_.bucket, "from.bucket"),
            "Key": ctx.render(self.from_.key, "from.key"),
        }
        if self.from_.version_id:
            source["VersionId"] = ctx.render(self.from_.version_id, "from.versionId")
        bucket, key = ctx.render(self.to.bucket, "to.bucket"), ctx.render(self.to.key, "to.key")
        response = self.call(ctx, "s3", "copy_object", {"Bucket": bucket, "Key": key, "CopySource": source})
        if self.delete:
            self.call(ctx, "s3", "delete_object", {"Bucket": source["Bucket"], "Key": source["Key"]})
        result = response.get("CopyObjectResult") or {}
        return {
            "bucket": bucket,
            "key": key,
            "eTag": result.get("ETag"),
            "versionId": response.get("VersionId"),
        }
