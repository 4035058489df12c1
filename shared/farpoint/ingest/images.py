"""Still images: folders (recursive), globs, and zip / tar archives.

Each image becomes one :class:`Frame` with ``index=0`` and ``timestamp=0``. Images wider than
``width`` are shrunk to it (aspect kept); smaller ones are left alone (no upscaling). A file that
is not a decodable image is reported and skipped; an archive member likewise.
"""

from __future__ import annotations

import io
import logging
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from farpoint.errors import DecodeError
from farpoint.ingest.frame import DecodeReport, Frame
from farpoint.ingest.remote import is_remote, open_remote

log = logging.getLogger(__name__)

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif", ".ppm", ".pgm"}
ARCHIVE_EXTS = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")
MEMBER_SEP = "!"


def is_image(path: str | Path) -> bool:
    return Path(path).suffix.lower() in IMAGE_EXTS


def is_archive(path: str | Path) -> bool:
    return str(path).lower().endswith(ARCHIVE_EXTS)


def decode_image(data: bytes | Path, width: int | None = 100) -> np.ndarray:
    """Decode image bytes (or a file) to ``(H, W, 3)`` uint8 RGB, shrunk to ``width``."""
    try:
        with Image.open(io.BytesIO(data) if isinstance(data, bytes) else data) as opened:
            im: Image.Image = opened.convert("RGB")
            if width and im.width > width:
                h = max(1, round(im.height * width / im.width))
                im = im.resize((width, h), Image.Resampling.BILINEAR)
            return np.asarray(im, dtype=np.uint8).copy()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise DecodeError(f"not a decodable image ({exc})") from exc


def _archive_members(path: Path | str) -> Iterator[tuple[str, bytes]]:
    remote = open_remote(path) if isinstance(path, str) and is_remote(path) else None
    if str(path).lower().endswith(".zip"):
        with zipfile.ZipFile(remote or path) as zf:
            for name in sorted(zf.namelist()):
                if not name.endswith("/") and is_image(name):
                    yield name, zf.read(name)
    else:
        with tarfile.open(fileobj=remote) if remote else tarfile.open(path) as tf:
            for member in sorted(tf.getmembers(), key=lambda m: m.name):
                if member.isfile() and is_image(member.name):
                    f = tf.extractfile(member)
                    if f is not None:
                        yield member.name, f.read()


def iter_archive_frames(
    path: str | Path,
    *,
    width: int | None = 100,
    keep: set[str] | None = None,
    report: DecodeReport | None = None,
) -> Iterator[Frame]:
    """Yield the images inside a zip or tar archive (sorted by member name)."""
    p = path if isinstance(path, str) and is_remote(path) else Path(path)  # s3:// stays a URI
    report = report if report is not None else DecodeReport(str(p), kind="archive")
    try:
        for name, data in _archive_members(p):
            source = f"{p}{MEMBER_SEP}{name}"
            if keep is not None and source not in keep:
                continue
            report.decoded += 1
            try:
                img = decode_image(data, width)
            except DecodeError as exc:
                report.errors += 1
                report.first_error = report.first_error or f"{name}: {exc}"
                continue
            report.kept += 1
            yield Frame(source, 0, 0.0, img)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        raise DecodeError(f"{p}: unreadable archive ({exc})") from exc


def list_image_files(folder: Path) -> list[Path]:
    """Image files under ``folder``, recursively, sorted."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and is_image(p))
