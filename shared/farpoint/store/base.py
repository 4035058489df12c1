"""The object-store interface: one for every stage and service.

Keys are ``/``-separated strings relative to the store's root (a bucket, or a local directory),
e.g. ``tenants/acme/jobs/<job>/vectors/shard-00003.npy``. Keys are deterministic, so a redelivered
message rewrites the same object (idempotent at-least-once processing).

Implementations: :class:`farpoint.store.local.LocalStore` (a directory; the embedded default) and
:class:`farpoint.store.s3.S3Store` (any S3 server through the ``minio`` client). Congruence tests
in tests/ run one suite against both.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Store(Protocol):
    """Where media, frames, vectors, models and results live."""

    def put_bytes(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        """Write ``data`` at ``key`` atomically (readers see the old object or the new one)."""

    def get_bytes(self, key: str) -> bytes:
        """Read the whole object; raise :class:`farpoint.errors.NotFoundError` if absent."""

    def put_stream(
        self,
        key: str,
        stream: BinaryIO,
        length: int = -1,
        content_type: str = "application/octet-stream",
    ) -> int:
        """Stream ``stream`` to ``key`` (multipart when large); return the bytes written."""

    def open(self, key: str) -> BinaryIO:
        """A readable binary stream of the object (caller closes it)."""

    def put_file(
        self, key: str, path: str | Path, content_type: str = "application/octet-stream"
    ) -> None:
        """Upload a local file."""

    def get_file(self, key: str, path: str | Path) -> Path:
        """Download to a local file; return its path."""

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int:
        """Object size in bytes; :class:`NotFoundError` if absent."""

    def list(self, prefix: str = "") -> Iterator[str]:
        """Keys under ``prefix`` (recursive), sorted."""

    def delete(self, key: str) -> None:
        """Delete ``key``; deleting a missing key is not an error."""

    def copy(self, src: str, dst: str) -> None:
        """Copy object ``src`` to ``dst`` inside the store, without moving its bytes through this
        process where the store can (S3 CopyObject); :class:`NotFoundError` if ``src`` is absent.
        """

    def presign_get(self, key: str, expires: timedelta = timedelta(hours=1)) -> str:
        """A URL that lets its holder read ``key`` until it expires."""

    def presign_put(self, key: str, expires: timedelta = timedelta(hours=1)) -> str:
        """A URL that lets its holder upload ``key`` until it expires."""

    def local_path(self, key: str) -> Path | None:
        """The object's path on this machine when the store is local, else None."""


def put_array(store: Store, key: str, array: np.ndarray) -> None:
    """Store a numpy array as ``.npy`` bytes."""
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    store.put_bytes(key, buf.getvalue(), "application/x-npy")


def get_array(store: Store, key: str) -> np.ndarray:
    """Read a numpy array written by :func:`put_array` (no pickles)."""
    return np.load(io.BytesIO(store.get_bytes(key)), allow_pickle=False)
