"""The one parser of ``s3://bucket/key`` URIs, and resolving a local path or such a URI to a
local file (models, vectors)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from farpoint.errors import InputError, NotFoundError

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")  # S3 bucket naming rules


def is_s3_uri(uri: str | Path) -> bool:
    """Whether ``uri`` names an object (or prefix) in a bucket: ``s3://bucket/key``."""
    return isinstance(uri, str) and uri.startswith("s3://")


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key/or/prefix/`` -> ``("bucket", "key/or/prefix/")`` (the key may be empty:
    the whole bucket)."""
    if not is_s3_uri(uri):
        raise InputError(f"bad object URI {uri!r}; expected s3://bucket/key")
    bucket, _, key = uri[5:].partition("/")
    bad_key = key.startswith("/") or any(p in (".", "..") for p in key.split("/"))
    if not _BUCKET.match(bucket) or ".." in bucket or bad_key:
        raise InputError(f"bad object URI {uri!r}; expected s3://bucket/key")
    return bucket, key


def parse_s3_object(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> ``("bucket", "key")`` for one object (the key is not empty and
    not a prefix ending in ``/``)."""
    bucket, key = parse_s3_uri(uri)
    if not key or key.endswith("/"):
        raise InputError(f"bad object URI {uri!r}; expected s3://bucket/key")
    return bucket, key


def fetch_to_local(uri: str | Path) -> Path:
    """Return a local path for ``uri``; ``s3://`` objects are cached under the cache dir."""
    text = str(uri)
    if is_s3_uri(text):
        from farpoint.settings import get_settings
        from farpoint.store.s3 import S3Store

        bucket, key = parse_s3_object(text)
        settings = get_settings()
        dest = settings.cache_dir / "objects" / hashlib.sha256(text.encode()).hexdigest()[:24]
        dest = dest / Path(key).name
        if not dest.exists():
            S3Store.from_settings(settings.s3, bucket=bucket).get_file(key, dest)
        return dest
    path = Path(text).expanduser()
    if not path.exists():
        raise NotFoundError(f"file not found: {path}")
    return path
