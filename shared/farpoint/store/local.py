"""A store in a local directory: the embedded default, and the simple side of congruence tests."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from farpoint.errors import InputError, NotFoundError


def _umask() -> int:
    """The process's umask (read without changing it where Linux allows)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class LocalStore:
    """Objects are files under ``root``; writes go to a temp file then ``os.replace`` (atomic)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        if not key or key.startswith("/") or any(p in ("", ".", "..") for p in key.split("/")):
            raise InputError(f"invalid object key {key!r}")
        return self.root / key

    def put_bytes(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        import io

        self.put_stream(key, io.BytesIO(data), len(data), content_type)

    def put_stream(
        self,
        key: str,
        stream: BinaryIO,
        length: int = -1,
        content_type: str = "application/octet-stream",
    ) -> int:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        written = 0
        try:
            os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600: give the usual file mode
            with os.fdopen(fd, "wb") as out:
                while True:
                    chunk = stream.read(1 << 20)
                    if not chunk:
                        break
                    out.write(chunk)
                    written += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return written

    def get_bytes(self, key: str) -> bytes:
        with self.open(key) as f:
            return f.read()

    def open(self, key: str) -> BinaryIO:
        path = self._path(key)
        try:
            return path.open("rb")
        except FileNotFoundError:
            raise NotFoundError(f"no object {key!r} in {self.root}") from None

    def put_file(
        self, key: str, path: str | Path, content_type: str = "application/octet-stream"
    ) -> None:
        with Path(path).open("rb") as f:
            self.put_stream(key, f, Path(path).stat().st_size, content_type)

    def get_file(self, key: str, path: str | Path) -> Path:
        src = self._path(key)
        if not src.is_file():
            raise NotFoundError(f"no object {key!r} in {self.root}")
        dst = Path(path)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        return dst

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        path = self._path(key)
        if not path.is_file():
            raise NotFoundError(f"no object {key!r} in {self.root}")
        return path.stat().st_size

    def list(self, prefix: str = "") -> Iterator[str]:
        keys = []
        for dirpath, _dirs, files in os.walk(self.root):
            for name in files:
                if name.startswith(".tmp-"):
                    continue
                rel = Path(dirpath, name).relative_to(self.root).as_posix()
                if rel.startswith(prefix):
                    keys.append(rel)
        yield from sorted(keys)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def copy(self, src: str, dst: str) -> None:
        with self.open(src) as f:
            self.put_stream(dst, f, self.size(src))

    def presign_get(self, key: str, expires: timedelta = timedelta(hours=1)) -> str:
        return self._path(key).as_uri()

    def presign_put(self, key: str, expires: timedelta = timedelta(hours=1)) -> str:
        return self._path(key).as_uri()

    def local_path(self, key: str) -> Path | None:
        return self._path(key)
