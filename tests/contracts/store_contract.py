"""The :class:`farpoint.store.base.Store` contract: LocalStore and S3Store behave the same.

Subclasses provide a ``store`` fixture: an empty store whose ``put_stream`` multipart threshold
(``part_size``) is 5 MiB, so the 12 MiB object below spans three parts on S3.
"""

from __future__ import annotations

import hashlib
import io
import os
import urllib.request
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import numpy as np
import pytest

from farpoint.errors import InputError, NotFoundError
from farpoint.store.base import Store, get_array, put_array

PART = 5 * 1024 * 1024
BIG = 12 * 1024 * 1024 + 12345  # more than two parts, not a multiple of the part size


class _OneMiBReads(io.RawIOBase):
    """A stream of unknown length (no len, no seek) that yields ``data`` in small reads."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), 1 << 20, len(self._data) - self._pos)
        buffer[:n] = self._data[self._pos : self._pos + n]
        self._pos += n
        return n


def fetch_url(url: str) -> bytes:
    """GET a presigned URL the way any holder would (file:// for a local store)."""
    with urllib.request.urlopen(url, timeout=30) as resp:  # noqa: S310 - test URLs only
        return resp.read()


def upload_url(url: str, data: bytes) -> None:
    """PUT ``data`` to a presigned URL; a file:// URL (LocalStore) is written in place."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        target = Path(url2pathname(parsed.path))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return
    req = urllib.request.Request(url, data=data, method="PUT")
    with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - test URLs only
        assert resp.status == 200


class StoreContract:
    """Every Store passes these."""

    def test_is_a_store(self, store: Store) -> None:
        assert isinstance(store, Store)

    def test_bytes_round_trip_and_overwrite(self, store: Store) -> None:
        store.put_bytes("a/b/c.bin", b"first")
        assert store.get_bytes("a/b/c.bin") == b"first"
        store.put_bytes("a/b/c.bin", b"second, longer")
        assert store.get_bytes("a/b/c.bin") == b"second, longer"
        assert store.size("a/b/c.bin") == len(b"second, longer")

    def test_empty_object(self, store: Store) -> None:
        store.put_bytes("empty", b"")
        assert store.exists("empty")
        assert store.size("empty") == 0
        assert store.get_bytes("empty") == b""

    def test_stream_of_unknown_length_is_multipart_and_streams_back(self, store: Store) -> None:
        data = os.urandom(BIG)
        written = store.put_stream("media/big.bin", _OneMiBReads(data))  # type: ignore[arg-type]
        assert written == BIG
        assert store.size("media/big.bin") == BIG
        digest = hashlib.sha256()
        with store.open("media/big.bin") as f:
            reads = 0
            while chunk := f.read(1 << 20):
                digest.update(chunk)
                reads += 1
        assert reads >= BIG // (1 << 20)
        assert digest.hexdigest() == hashlib.sha256(data).hexdigest()

    def test_file_round_trip_larger_than_one_part(self, store: Store, tmp_path: Path) -> None:
        src = tmp_path / "in.bin"
        data = os.urandom(BIG)
        src.write_bytes(data)
        store.put_file("files/in.bin", src)
        dst = store.get_file("files/in.bin", tmp_path / "out" / "copy.bin")
        assert dst == tmp_path / "out" / "copy.bin"
        assert dst.read_bytes() == data
        assert [p.name for p in dst.parent.iterdir()] == ["copy.bin"]  # no temp files left

    def test_known_length_stream(self, store: Store) -> None:
        data = b"x" * 1000
        assert store.put_stream("k", io.BytesIO(data), len(data), "text/plain") == 1000
        assert store.get_bytes("k") == data

    def test_list_is_recursive_sorted_and_filtered(self, store: Store) -> None:
        for key in ["b/2", "a/1", "b/1", "b/sub/3", "bb/4", "c"]:
            store.put_bytes(key, key.encode())
        assert list(store.list()) == ["a/1", "b/1", "b/2", "b/sub/3", "bb/4", "c"]
        assert list(store.list("b/")) == ["b/1", "b/2", "b/sub/3"]
        assert list(store.list("b")) == ["b/1", "b/2", "b/sub/3", "bb/4"]
        assert list(store.list("zzz")) == []

    def test_exists_delete_and_missing_keys(self, store: Store, tmp_path: Path) -> None:
        store.put_bytes("x/y", b"1")
        assert store.exists("x/y")
        assert not store.exists("x/nope")
        store.delete("x/y")
        assert not store.exists("x/y")
        store.delete("x/y")  # deleting a missing key is not an error
        with pytest.raises(NotFoundError):
            store.get_bytes("x/y")
        with pytest.raises(NotFoundError):
            store.size("x/y")
        with pytest.raises(NotFoundError):
            store.open("x/y")
        with pytest.raises(NotFoundError):
            store.get_file("x/y", tmp_path / "never")
        assert not (tmp_path / "never").exists()

    def test_copy_is_a_new_object_and_a_missing_source_is_not_found(self, store: Store) -> None:
        store.put_bytes("copy/src.bin", b"payload" * 1000)
        store.copy("copy/src.bin", "copy/deep/dst.bin")
        assert store.get_bytes("copy/deep/dst.bin") == b"payload" * 1000
        store.put_bytes("copy/src.bin", b"changed")  # the copy does not follow its source
        assert store.get_bytes("copy/deep/dst.bin") == b"payload" * 1000
        store.copy("copy/src.bin", "copy/deep/dst.bin")  # overwrite, like put_bytes
        assert store.get_bytes("copy/deep/dst.bin") == b"changed"
        with pytest.raises(NotFoundError):
            store.copy("copy/missing.bin", "copy/never.bin")
        assert not store.exists("copy/never.bin")

    @pytest.mark.parametrize("key", ["", "/abs", "a//b", "a/../b", "./a", "a/."])
    def test_invalid_keys_are_input_errors(self, store: Store, key: str) -> None:
        with pytest.raises(InputError):
            store.put_bytes(key, b"1")

    def test_presigned_get(self, store: Store) -> None:
        store.put_bytes("share/report.json", b'{"ok": true}', "application/json")
        assert fetch_url(store.presign_get("share/report.json")) == b'{"ok": true}'

    def test_presigned_put(self, store: Store) -> None:
        url = store.presign_put("uploads/video.mp4")
        upload_url(url, b"\x00\x01 pretend video")
        assert store.get_bytes("uploads/video.mp4") == b"\x00\x01 pretend video"

    def test_arrays(self, store: Store) -> None:
        arr = np.arange(12, dtype=np.float32).reshape(3, 4)
        put_array(store, "vectors/shard-00000.npy", arr)
        back = get_array(store, "vectors/shard-00000.npy")
        assert back.dtype == np.float32
        np.testing.assert_array_equal(back, arr)
