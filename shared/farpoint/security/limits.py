"""Request limits of the REST service: upload size and kind, maximum k, concurrent-job quota.

Every refusal is a 4xx with a one-line reason (the error's ``http_status``): 413 for too large,
415 for a kind that is not allowed, 422 for a k over the maximum, 429 for a tenant already
running its quota of jobs. :func:`guard_upload` checks before a single byte reaches the store:
the declared size first, then the sniffed type of the first bytes (:mod:`farpoint.security.sniff`),
and it wraps the stream so an upload that lies about its size fails while streaming (the stores
then discard the partial object: a temp file, or an aborted S3 multipart upload). It is the one
upload guard: the gateway's ``POST /v1/media`` and ``.../complete`` both go through it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import BinaryIO

from farpoint.errors import InputError
from farpoint.security.errors import (
    PayloadTooLargeError,
    QuotaExceededError,
    UnsupportedMediaError,
)
from farpoint.security.sniff import SNIFF_BYTES, MediaType, sniff
from farpoint.settings import SecuritySettings


def _mib(n: int) -> str:
    return f"{n / 1024**2:.1f} MiB" if n >= 1024**2 else f"{n} bytes"


class LimitedReader(io.RawIOBase):
    """``head`` then the rest of ``stream``; raises PayloadTooLargeError past ``limit`` bytes."""

    def __init__(self, head: bytes, stream: BinaryIO, limit: int) -> None:
        self._head = head
        self._stream = stream
        self._limit = limit
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        want = len(buffer)
        if self._head:
            data, self._head = self._head[:want], self._head[want:]
        else:
            data = self._stream.read(want)
        n = len(data)
        self.count += n
        if self.count > self._limit:
            raise PayloadTooLargeError(f"upload larger than the limit of {_mib(self._limit)}")
        buffer[:n] = data
        return n


@dataclass
class GuardedUpload:
    """An upload that passed the checks: its sniffed type and a size-limited stream of it."""

    media: MediaType
    stream: BinaryIO
    declared_size: int | None


def check_size(size: int | None, limits: SecuritySettings) -> None:
    """PayloadTooLargeError when a known ``size`` is over ``max_upload_bytes``; 0 is InputError."""
    if size is None or size < 0:
        return
    if size == 0:
        raise InputError("empty upload")
    if size > limits.max_upload_bytes:
        raise PayloadTooLargeError(
            f"upload of {_mib(size)} is over the limit of {_mib(limits.max_upload_bytes)}"
        )


def check_media(head: bytes, limits: SecuritySettings) -> MediaType:
    """The sniffed type of ``head`` if its kind is allowed, else UnsupportedMediaError."""
    allowed = ", ".join(limits.allowed_kinds)
    media = sniff(head)
    if media is None:
        raise UnsupportedMediaError(
            f"unsupported upload: unrecognized file content (allowed: {allowed}; the name and "
            "Content-Type are not trusted)"
        )
    if media.kind not in limits.allowed_kinds:
        raise UnsupportedMediaError(f"{media.kind} ({media.format}) uploads are not allowed here")
    return media


def guard_upload(
    stream: BinaryIO, limits: SecuritySettings, declared_size: int | None = None
) -> GuardedUpload:
    """Check an upload's size and type before storing it; return the stream to store."""
    check_size(declared_size, limits)
    head = b""
    while len(head) < SNIFF_BYTES:
        chunk = stream.read(SNIFF_BYTES - len(head))
        if not chunk:
            break
        head += chunk
    if not head:
        raise InputError("empty upload")
    check_size(len(head), limits)
    media = check_media(head, limits)
    reader = io.BufferedReader(LimitedReader(head, stream, limits.max_upload_bytes), 1 << 20)
    return GuardedUpload(media, reader, declared_size)  # type: ignore[arg-type]


def check_k(k: int, limits: SecuritySettings) -> int:
    """``k`` if it is between 1 and ``max_k``, else InputError (422)."""
    if k < 1:
        raise InputError(f"k must be at least 1, got {k}")
    if k > limits.max_k:
        raise InputError(f"k={k} is over this service's maximum of {limits.max_k}")
    return k


def check_job_quota(tenant: str, active_jobs: int, limits: SecuritySettings) -> None:
    """QuotaExceededError (429) when ``tenant`` already runs ``max_concurrent_jobs`` jobs."""
    if active_jobs >= limits.max_concurrent_jobs:
        raise QuotaExceededError(
            f"tenant {tenant!r} already has {active_jobs} active jobs (quota "
            f"{limits.max_concurrent_jobs}); wait for one to finish or cancel one"
        )
