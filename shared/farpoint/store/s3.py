"""A :class:`~farpoint.store.base.Store` on any S3 server through the ``minio`` client.

Production talks to the customer's MinIO (or any S3); development and tests talk to the SeaweedFS
server that ``infra/up.sh`` starts on loopback. Keys are the same ``/``-separated strings the
:class:`~farpoint.store.local.LocalStore` takes, optionally under a fixed key prefix (a tenant's or
a job's area), so one congruence suite runs against both stores.

Uploads stream: objects larger than ``S3Settings.part_size`` (and every upload of unknown length)
go up as S3 multipart uploads, one part in memory at a time. Errors map onto farpoint's tree:
a missing object is :class:`NotFoundError`, refused credentials are :class:`ConfigError`, and a
network failure or a 5xx answer is :class:`TransientError` (retryable: the bus redelivers).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import urllib3
from minio import Minio
from minio.error import InvalidResponseError, S3Error, ServerError

from farpoint.errors import ConfigError, FarpointError, InputError, NotFoundError, TransientError
from farpoint.settings import S3Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

_NOT_FOUND = {"NoSuchKey", "NoSuchObject", "NoSuchBucket", "ResourceNotFound", "NoSuchUpload"}
_DENIED = {
    "AccessDenied",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "InvalidToken",
    "ExpiredToken",
}
_TRANSIENT = {"InternalError", "SlowDown", "ServiceUnavailable", "RequestTimeout", "ServerBusy"}


def _check_key(key: str) -> str:
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in key.split("/")):
        raise InputError(f"invalid object key {key!r}")
    return key


def _normalize_prefix(prefix: str) -> str:
    prefix = prefix.strip("/")
    if not prefix:
        return ""
    _check_key(prefix)
    return prefix + "/"


class _CountingReader:
    """Wraps a stream so the store can report how many bytes an upload read."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        self.count += len(chunk)
        return chunk


class _ResponseReader(io.RawIOBase):
    """A raw stream over a urllib3 response that releases the connection when closed."""

    def __init__(self, response: Any, key: str) -> None:
        self._response = response
        self._key = key

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._response.read(len(buffer))
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise TransientError(f"reading object {self._key!r} failed: {exc}") from exc
        n = len(data)
        buffer[:n] = data
        return n

    def close(self) -> None:
        if not self.closed:
            try:
                self._response.close()
                self._response.release_conn()
            finally:
                super().close()


class S3Store:
    """Objects in one bucket of an S3 server, optionally under a key prefix.

    ``S3Store(settings)`` uses ``settings.bucket``; ``prefix="tenants/acme/jobs/j1"`` scopes every
    key (``store.put_bytes("x", ...)`` writes ``tenants/acme/jobs/j1/x``), and :meth:`scoped`
    derives a narrower store that shares the connection pool. The bucket is created if missing.
    """

    def __init__(
        self,
        settings: S3Settings,
        bucket: str | None = None,
        prefix: str = "",
        *,
        ensure_bucket: bool = True,
        _client: Minio | None = None,
    ) -> None:
        self.settings = settings
        self.bucket = bucket or settings.bucket
        self.prefix = _normalize_prefix(prefix)
        self.part_size = settings.part_size
        if _client is not None:
            self._client = _client
            return
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=min(5.0, settings.timeout_s), read=settings.timeout_s),
            maxsize=10,
            retries=urllib3.Retry(
                total=3, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]
            ),
        )
        try:
            self._client = Minio(
                settings.endpoint,
                access_key=settings.access_key,
                secret_key=settings.secret_key,
                secure=settings.secure,
                region=settings.region,
                http_client=http,
            )
        except ValueError as exc:
            raise ConfigError(f"bad S3 endpoint {settings.endpoint!r}: {exc}") from exc
        if ensure_bucket:  # False for reading a user's bucket: never create one by mistake
            self._ensure_bucket()

    @classmethod
    def from_settings(cls, settings: S3Settings, bucket: str | None = None) -> S3Store:
        """The store for ``bucket`` (default ``settings.bucket``) on the configured server."""
        return cls(settings, bucket=bucket)

    def scoped(self, prefix: str) -> S3Store:
        """A store whose keys live under ``prefix`` inside this store's area (same client)."""
        return S3Store(
            self.settings, bucket=self.bucket, prefix=self.prefix + prefix, _client=self._client
        )

    def __repr__(self) -> str:
        where = f"bucket={self.bucket!r}, prefix={self.prefix!r}"
        return f"S3Store({self.settings.endpoint!r}, {where})"

    # ------------------------------------------------------------------ helpers
    def _key(self, key: str) -> str:
        return self.prefix + _check_key(key)

    def _call(self, what: str, key: str | None, fn: Callable[[], T]) -> T:
        """Run one client call, mapping its failures onto farpoint's error tree."""
        where = f"s3://{self.bucket}/{self.prefix}{key or ''}"
        try:
            return fn()
        except FarpointError:
            raise
        except S3Error as exc:
            if exc.code in _NOT_FOUND:
                raise NotFoundError(f"no object {key!r} in {where} ({exc.code})") from None
            if exc.code in _DENIED:
                raise ConfigError(
                    f"S3 at {self.settings.endpoint} refused {what} ({exc.code}); "
                    "check FARPOINT_S3__ACCESS_KEY / FARPOINT_S3__SECRET_KEY"
                ) from exc
            if exc.code in _TRANSIENT:
                raise TransientError(f"S3 {what} {where} failed: {exc.code}") from exc
            raise FarpointError(f"S3 {what} {where} failed: {exc.code}: {exc.message}") from exc
        except (ServerError, InvalidResponseError) as exc:
            raise TransientError(f"S3 {what} {where} failed: {exc}") from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise TransientError(
                f"S3 server {self.settings.endpoint} unreachable during {what}: {exc}"
            ) from exc

    def _ensure_bucket(self) -> None:
        def make() -> None:
            if not self._client.bucket_exists(self.bucket):
                try:
                    self._client.make_bucket(self.bucket, location=self.settings.region)
                    log.info("created bucket %s on %s", self.bucket, self.settings.endpoint)
                except S3Error as exc:
                    if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise

        try:
            self._call("create bucket", None, make)
        except ValueError as exc:  # minio validates bucket names client-side
            raise ConfigError(f"invalid bucket name {self.bucket!r}: {exc}") from exc

    # ------------------------------------------------------------------ writes
    def put_bytes(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        self.put_stream(key, io.BytesIO(data), len(data), content_type)

    def put_stream(
        self,
        key: str,
        stream: BinaryIO,
        length: int = -1,
        content_type: str = "application/octet-stream",
    ) -> int:
        name = self._key(key)
        reader = _CountingReader(stream)
        self._call(
            "upload",
            key,
            lambda: self._client.put_object(
                self.bucket,
                name,
                reader,  # type: ignore[arg-type]
                length=length if length >= 0 else -1,
                content_type=content_type,
                part_size=self.part_size,
            ),
        )
        return reader.count

    def put_file(
        self, key: str, path: str | Path, content_type: str = "application/octet-stream"
    ) -> None:
        path = Path(path)
        if not path.is_file():
            raise NotFoundError(f"file not found: {path}")
        with path.open("rb") as f:
            self.put_stream(key, f, path.stat().st_size, content_type)

    def delete(self, key: str) -> None:
        name = self._key(key)
        self._call("delete", key, lambda: self._client.remove_object(self.bucket, name))

    def copy(self, src: str, dst: str) -> None:
        """Server-side CopyObject: the bytes never leave the S3 server."""
        from minio.commonconfig import CopySource

        source = CopySource(self.bucket, self._key(src))
        name = self._key(dst)
        self._call("copy", src, lambda: self._client.copy_object(self.bucket, name, source))

    # ------------------------------------------------------------------ reads
    def open(self, key: str) -> BinaryIO:
        name = self._key(key)
        response = self._call("download", key, lambda: self._client.get_object(self.bucket, name))
        return io.BufferedReader(_ResponseReader(response, key), buffer_size=1 << 20)  # type: ignore[return-value]

    def get_bytes(self, key: str) -> bytes:
        with self.open(key) as f:
            return f.read()

    def get_range(self, key: str, offset: int, length: int) -> bytes:
        """``length`` bytes of the object from ``offset`` (one ranged GET; S3 only)."""
        name = self._key(key)

        def read() -> bytes:
            response = self._client.get_object(self.bucket, name, offset=offset, length=length)
            try:
                return bytes(response.read())
            finally:
                response.close()
                response.release_conn()

        return self._call("download", key, read)

    def get_file(self, key: str, path: str | Path) -> Path:
        dst = Path(path)
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_name(f".{dst.name}.part")
        try:
            with self.open(key) as src, tmp.open("wb") as out:
                while chunk := src.read(1 << 20):
                    out.write(chunk)
            tmp.replace(dst)
        finally:
            tmp.unlink(missing_ok=True)
        return dst

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
            return True
        except NotFoundError:
            return False

    def size(self, key: str) -> int:
        name = self._key(key)
        stat = self._call("stat", key, lambda: self._client.stat_object(self.bucket, name))
        return int(stat.size or 0)

    def list(self, prefix: str = "") -> Iterator[str]:
        full = self.prefix + prefix

        def names() -> list[str]:
            return [
                o.object_name
                for o in self._client.list_objects(self.bucket, prefix=full, recursive=True)
                if o.object_name and not o.is_dir
            ]

        found = self._call("list", prefix, names)
        yield from sorted(n[len(self.prefix) :] for n in found)

    def presign_get(self, key: str, expires: timedelta = timedelta(hours=1)) -> str:
        name = self._key(key)
        return self._call(
            "presign", key, lambda: self._client.presigned_get_object(self.bucket, name, expires)
        )

    def presign_put(self, key: str, expires: timedelta = timedelta(hours=1)) -> str:
        name = self._key(key)
        return self._call(
            "presign", key, lambda: self._client.presigned_put_object(self.bucket, name, expires)
        )

    def local_path(self, key: str) -> Path | None:
        return None
