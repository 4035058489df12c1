"""Security properties that live in the real object store (SeaweedFS from infra/up.sh, or any S3
named by FARPOINT_S3__*): presigned URLs expire and are scoped to one object, the key registry
works on S3, and a refused upload leaves no object behind (not even a multipart part)."""

from __future__ import annotations

import io
import time
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from minio import Minio

from farpoint.auth import Authenticator, KeyRegistry
from farpoint.security.errors import PayloadTooLargeError, UnauthorizedError
from farpoint.security.limits import guard_upload
from farpoint.settings import S3Settings, SecuritySettings
from farpoint.store import S3Store
from tests.data import bikes_small

pytestmark = pytest.mark.integration

BUCKET = "farpoint-tests"


@pytest.fixture
def store(s3_settings: S3Settings, unique_name: str) -> S3Store:
    return S3Store(s3_settings, bucket=BUCKET, prefix=f"tests/{unique_name}")


def _fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_expired_presigned_url_is_refused_by_the_store(store: S3Store) -> None:
    store.put_bytes("result/frame.jpg", b"picked frame")
    url = store.presign_get("result/frame.jpg", timedelta(seconds=2))
    assert _fetch(url) == (200, b"picked frame")
    time.sleep(3.5)
    status, body = _fetch(url)
    assert status == 403, body
    assert b"expired" in body.lower() or b"AccessDenied" in body


def test_presigned_url_is_scoped_to_its_object(store: S3Store) -> None:
    store.put_bytes("a/mine.jpg", b"tenant a")
    store.put_bytes("b/theirs.jpg", b"tenant b")
    url = store.presign_get("a/mine.jpg", timedelta(seconds=60))
    assert _fetch(url)[0] == 200
    assert _fetch(url.replace("a/mine.jpg", "b/theirs.jpg"))[0] == 403
    assert _fetch(url.split("?", 1)[0])[0] == 403  # no anonymous reads


def test_presigned_put_expires(store: S3Store) -> None:
    url = store.presign_put("uploads/x.mp4", timedelta(seconds=1))
    time.sleep(2.5)
    req = urllib.request.Request(url, data=b"late bytes", method="PUT")
    try:
        urllib.request.urlopen(req, timeout=10)
        status = 200
    except urllib.error.HTTPError as exc:
        status = exc.code
    assert status == 403
    assert not store.exists("uploads/x.mp4")


def test_key_registry_on_s3(store: S3Store) -> None:
    registry = KeyRegistry(store)
    token, record = registry.create("acme", "writer", "integration")
    raw = store.get_bytes(f"auth/keys/{record.key_id}.json")
    assert token.split("_", 2)[2].encode() not in raw
    auth = Authenticator(registry, cache_s=0)
    assert auth.authenticate(token).tenant == "acme"
    registry.revoke(record.key_id)
    with pytest.raises(UnauthorizedError):
        auth.authenticate(token)
    assert [r.key_id for r in registry.list(tenant="acme")] == [record.key_id]


def test_oversized_stream_leaves_no_object_or_multipart_upload(
    s3_settings: S3Settings, store: S3Store
) -> None:
    small_parts = S3Store(
        s3_settings.model_copy(update={"part_size": 5 * 1024 * 1024}),
        bucket=BUCKET,
        prefix=store.prefix,
    )
    data = bikes_small().read_bytes() * 100  # a real mp4 head, 11 MiB: two full 5 MiB parts
    limits = SecuritySettings(max_upload_bytes=len(data) - 1)
    guarded = guard_upload(io.BytesIO(data), limits)  # undeclared size: caught while streaming
    with pytest.raises(PayloadTooLargeError):
        small_parts.put_stream("media/m1/original", guarded.stream)
    assert list(store.list()) == []
    client = Minio(
        s3_settings.endpoint,
        access_key=s3_settings.access_key,
        secret_key=s3_settings.secret_key,
        secure=s3_settings.secure,
    )
    pending = list(client._list_multipart_uploads(BUCKET, prefix=store.prefix).uploads)  # noqa: SLF001
    assert pending == []
