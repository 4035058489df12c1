"""Ingest: videos, images, folders, globs and archives in; :class:`Frame` objects out.

``iter_frames(inputs)`` walks every input in order and yields frames; ``expand_inputs`` turns
folders and globs into concrete files first. Per-source outcomes land in ``reports``.
"""

from __future__ import annotations

import glob
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

from farpoint.errors import DecodeError, InputError, NotFoundError
from farpoint.ingest.frame import DEFAULT_FPS, DEFAULT_WIDTH, DecodeReport, Frame
from farpoint.ingest.images import (
    MEMBER_SEP,
    decode_image,
    is_archive,
    is_image,
    iter_archive_frames,
)
from farpoint.ingest.remote import expand_remote, is_remote, read_remote
from farpoint.ingest.video import iter_video_frames, reread_video_frames

log = logging.getLogger(__name__)

VIDEO_EXTS = {
    ".mp4",
    ".avi",
    ".mov",
    ".mkv",
    ".webm",
    ".m4v",
    ".mpg",
    ".mpeg",
    ".ts",
    ".flv",
    ".wmv",
    ".3gp",
    ".ogv",
    ".h264",
    ".hevc",
}


def is_media(name: str | Path) -> bool:
    """Whether a file name is one ingest reads: a video, an image or an archive."""
    return is_image(name) or is_archive(name) or Path(name).suffix.lower() in VIDEO_EXTS


def expand_inputs(inputs: Iterable[str | Path]) -> list[Path | str]:
    """Folders -> their videos, images and archives (recursive, sorted); globs -> matches;
    ``s3://bucket/prefix/`` -> the objects under it (sorted by key; kept as URIs, never copied:
    :mod:`farpoint.ingest.remote`)."""
    out: list[Path | str] = []
    for item in inputs:
        text = str(item)
        if is_remote(item):
            out.extend(expand_remote(text, is_media))
            continue
        if any(ch in text for ch in "*?[") and not Path(text).exists():
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                raise NotFoundError(f"{text}: the pattern matches no file")
            out.extend(Path(m) for m in matches if Path(m).is_file())
            continue
        p = Path(text).expanduser()
        if not p.exists():
            raise NotFoundError(f"{p}: no such file or directory")
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and is_media(f))
            if not found:
                raise InputError(f"{p}: the folder holds no video, image or archive")
            out.extend(found)
        else:
            out.append(p)
    if not out:
        raise InputError("no input given")
    return out


def iter_frames(
    inputs: Iterable[str | Path],
    *,
    width: int | None = DEFAULT_WIDTH,
    fps: float | None = DEFAULT_FPS,
    reports: list[DecodeReport] | None = None,
    strict: bool = False,
) -> Iterator[Frame]:
    """Yield frames of every input in order.

    A source that cannot be decoded at all is reported and skipped (``strict=True`` raises
    instead). If no source yields a frame, :class:`DecodeError` is raised with the reasons.
    """
    files = expand_inputs(inputs)
    reports = reports if reports is not None else []
    total = 0
    for path in files:
        if is_image(path):
            report = DecodeReport(str(path), kind="image")
            reports.append(report)
            try:
                img = decode_image(_image_data(path), width)
            except DecodeError as exc:
                report.errors += 1
                report.first_error = str(exc)
                if strict:
                    raise DecodeError(f"{path}: {exc}") from exc
                log.warning("%s: skipped: %s", path, exc)
                continue
            report.decoded = report.kept = 1
            total += 1
            yield Frame(str(path), 0, 0.0, img)
            continue
        kind = "archive" if is_archive(path) else "video"
        report = DecodeReport(str(path), kind=kind)
        reports.append(report)
        gen = (
            iter_archive_frames(path, width=width, report=report)
            if kind == "archive"
            else iter_video_frames(path, width=width, fps=fps, report=report)
        )
        try:
            for frame in gen:
                total += 1
                yield frame
        except DecodeError as exc:
            report.first_error = report.first_error or str(exc)
            if strict:
                raise
            log.warning("skipped: %s", exc)
    if total == 0:
        why = "; ".join(str(r.first_error) for r in reports if r.first_error)
        raise DecodeError(f"no frame could be decoded from the input ({why or 'nothing usable'})")


def _image_data(path: str | Path) -> bytes | Path:
    """An image's bytes (an object in a bucket, read into memory) or its local path."""
    return read_remote(path) if isinstance(path, str) and is_remote(path) else Path(path)


def reread_frames(
    picks: Iterable[tuple[str, int] | tuple[str, int, int | None]], *, width: int | None = None
) -> Iterator[Frame]:
    """Second pass: decode only the picked frames, at ``width`` (None: full size).

    Each pick is ``(source, index)`` or ``(source, index, pts)``. Video frames with a pts are
    found by seeking (:func:`farpoint.ingest.video.reread_video_frames`); those without are
    found by decoding the source from the start and matching the index.
    """
    by_source: dict[str, set[int]] = {}
    by_pts: dict[str, dict[int, int]] = {}
    for pick in picks:
        source, index = pick[0], int(pick[1])
        pts = pick[2] if len(pick) > 2 else None
        if pts is not None:
            by_pts.setdefault(source, {})[int(pts)] = index
        else:
            by_source.setdefault(source, set()).add(index)
    for source in dict.fromkeys([*by_source, *by_pts]):
        if MEMBER_SEP in source and is_archive(source.split(MEMBER_SEP, 1)[0]):
            archive = source.split(MEMBER_SEP, 1)[0]
            yield from iter_archive_frames(archive, width=width, keep={source})
        elif is_image(source):
            yield Frame(source, 0, 0.0, decode_image(_image_data(source), width))
        else:
            if source in by_pts:
                yield from reread_video_frames(source, by_pts[source], width=width)
            if source in by_source:
                yield from iter_video_frames(source, width=width, keep=by_source[source])


__all__ = [
    "DEFAULT_FPS",
    "DEFAULT_WIDTH",
    "DecodeReport",
    "Frame",
    "expand_inputs",
    "is_media",
    "iter_frames",
    "reread_frames",
]
