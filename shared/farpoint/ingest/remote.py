"""Inputs straight from object storage: ``s3://bucket/prefix/`` and ``s3://bucket/key``.

Nothing is copied to local disk. A prefix is listed (recursively, sorted by key, keeping videos,
images and archives like a local folder); a video is decoded by PyAV from a seekable file-like
object whose reads are ranged GETs (:class:`S3ObjectReader`, buffered a few MB at a time, so a
seek to the index at the end of an MP4 costs one small request); an image is read into memory
one at a time. Each frame's ``source`` is the object's ``s3://`` URI, so the manifest, the exports
and the second decoding pass (``farpoint.export``) name it, and the second pass reads from the
bucket too.

Credentials and endpoint come from the one settings model (``FARPOINT_S3__ENDPOINT``,
``FARPOINT_S3__ACCESS_KEY``, ``FARPOINT_S3__SECRET_KEY`` or ``..._FILE``, ``FARPOINT_S3__SECURE``);
the bucket comes from the URI and is never created: a missing bucket or object is
:class:`~farpoint.errors.NotFoundError` (exit code 3, HTTP 404).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from farpoint.errors import DecodeError, InputError, NotFoundError
from farpoint.store.uri import is_s3_uri, parse_s3_uri

if TYPE_CHECKING:
    from farpoint.settings import S3Settings
    from farpoint.store.s3 import S3Store

log = logging.getLogger(__name__)

READ_BUFFER = 4 * 1024 * 1024  # bytes per ranged GET while decoding a video

__all__ = [
    "S3ObjectReader",
    "check_allowed",
    "expand_remote",
    "is_remote",
    "open_remote",
    "read_remote",
]


def is_remote(source: object) -> bool:
    """Whether ``source`` is an object-storage URI (``s3://...``)."""
    return isinstance(source, str) and is_s3_uri(source)


@lru_cache(maxsize=16)
def _store(bucket: str, settings_json: str) -> S3Store:
    from farpoint.settings import S3Settings
    from farpoint.store.s3 import S3Store

    return S3Store(S3Settings.model_validate_json(settings_json), bucket, ensure_bucket=False)


def store_for(bucket: str, s3: S3Settings | None = None) -> S3Store:
    """A read-only view of ``bucket`` on the S3 server of ``s3`` (default: the process's
    settings); one client per bucket."""
    if s3 is None:
        from farpoint.settings import get_settings

        s3 = get_settings().s3
    return _store(bucket, s3.model_dump_json())


def check_allowed(uri: str, tenant: str, prefixes: Sequence[str]) -> str:
    """``uri`` (normalized) when it lies under one of ``prefixes`` for ``tenant`` (``{tenant}``
    in a prefix is replaced by it; a prefix always ends at a ``/``), else ForbiddenError."""
    from farpoint.security.errors import ForbiddenError

    bucket, key = parse_s3_uri(uri)
    norm = f"s3://{bucket}/{key}"
    for rule in prefixes:
        allowed = rule.replace("{tenant}", tenant)
        allowed = allowed if allowed.endswith("/") else allowed + "/"
        if norm.startswith(allowed) or norm + "/" == allowed:
            return norm
    raise ForbiddenError(f"{norm} is not under a bucket prefix this tenant may read")


def expand_remote(
    uri: str, keep: Callable[[str], bool], s3: S3Settings | None = None
) -> list[str]:
    """``s3://b/key`` -> ``[uri]`` when that object exists; else the objects under the prefix
    ``key`` (``key/`` for a folder-like prefix) for which ``keep(name)`` holds, sorted by key."""
    bucket, key = parse_s3_uri(uri)
    store = store_for(bucket, s3)
    if key and not key.endswith("/") and store.exists(key):
        return [uri]
    prefix = key if not key or key.endswith("/") else key + "/"
    names = list(store.list(prefix))
    if not names:
        raise NotFoundError(f"{uri}: no object at or under this URI")
    found = [f"s3://{bucket}/{n}" for n in names if keep(n)]
    if not found:
        raise InputError(f"{uri}: the prefix holds no video, image or archive")
    return found


def read_remote(uri: str) -> bytes:
    """The whole object (an image: read into memory, one at a time)."""
    bucket, key = parse_s3_uri(uri)
    return store_for(bucket).get_bytes(key)


class S3ObjectReader(io.RawIOBase):
    """A seekable, read-only raw stream over one object: every read is one ranged GET.

    Wrap it in :class:`io.BufferedReader` (as :func:`open_remote` does) so that small reads
    share one request.
    """

    def __init__(self, store: S3Store, key: str) -> None:
        self._store = store
        self._key = key
        self.size = store.size(key)
        self._pos = 0
        self.requests = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.size - self._pos)
        if n <= 0:
            return 0
        data = self._store.get_range(self._key, self._pos, n)
        self.requests += 1
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)


def open_remote(uri: str, s3: S3Settings | None = None) -> io.BufferedReader:
    """A buffered, seekable binary stream over the object at ``uri`` (for PyAV, zip, tar);
    its ``.raw`` is the :class:`S3ObjectReader` (``.raw.size``: the object's size)."""
    bucket, key = parse_s3_uri(uri)
    if not key or key.endswith("/"):
        raise InputError(f"{uri}: names a prefix, not an object")
    reader = S3ObjectReader(store_for(bucket, s3), key)
    if reader.size == 0:
        raise DecodeError(f"{uri}: empty object")
    return io.BufferedReader(reader, buffer_size=READ_BUFFER)
