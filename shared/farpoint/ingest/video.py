"""Streaming video decoding with PyAV, per the seed paper §5.1.2.

Frames are decoded in memory one at a time (never written to disk), resized to a fixed width
with the aspect ratio kept (default 100 px), and the frame rate is capped (default 10 fps) by
keeping the first frame of each ``1/fps`` time slot. Each kept frame carries its source, its index
among all decoded frames and its timestamp, so a second pass can find it again at full size.

A corrupt stream keeps the frames that decoded: packets that fail are counted in the
:class:`DecodeReport` and skipped. A file that cannot be opened as a video at all raises
:class:`farpoint.errors.DecodeError`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

from farpoint.errors import DecodeError, NotFoundError
from farpoint.ingest.frame import DecodeReport, Frame

log = logging.getLogger(__name__)

MAX_ERRORS = 200  # give up on a source after this many consecutive broken packets


def scaled_size(width: int, height: int, target_width: int | None) -> tuple[int, int]:
    """(w, h) for ``target_width`` with the aspect ratio kept; None keeps the size."""
    if not target_width or target_width <= 0:
        return width, height
    h = max(1, int(round(height * target_width / width)))
    return int(target_width), h


def _expected_frames(stream: av.video.stream.VideoStream, duration_s: float | None,
                     rate: float | None) -> int | None:
    """Frames the header promises (frame count, else duration x rate); None when unknown."""
    if stream.frames and stream.frames > 0:
        return int(stream.frames)
    if duration_s and rate:
        return int(round(duration_s * rate))
    return None


def open_container(path: str | Path) -> av.container.InputContainer:
    p = Path(path)
    if not p.exists():
        raise NotFoundError(f"{p}: no such file")
    if p.is_dir():
        raise DecodeError(f"{p}: is a directory, not a video")
    if p.stat().st_size == 0:
        raise DecodeError(f"{p}: empty file")
    try:
        container = av.open(str(p), mode="r")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise DecodeError(f"{p}: not a readable video ({exc.__class__.__name__}: {exc})") from exc
    if not container.streams.video:
        container.close()
        raise DecodeError(f"{p}: holds no video stream")
    return container


def iter_video_frames(
    path: str | Path,
    *,
    width: int | None = 100,
    fps: float | None = 10.0,
    keep: set[int] | None = None,
    report: DecodeReport | None = None,
) -> Iterator[Frame]:
    """Yield the frames of one video.

    Args:
        path: the video file.
        width: output width (aspect kept); None or 0 keeps the original size.
        fps: cap on the output frame rate; None or 0 keeps every frame.
        keep: when given, yield only frames whose index is in ``keep`` (second pass; ``fps`` is
            ignored then) and stop once all are found.
        report: filled in as decoding goes.
    """
    source = str(path)
    report = report if report is not None else DecodeReport(source)
    container = open_container(path)
    rate: float | None = None
    first_t: float | None = None
    last_t = 0.0
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = float(stream.average_rate) if stream.average_rate else None
        report.fps = rate
        if stream.duration is not None and stream.time_base is not None:
            report.duration_s = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            report.duration_s = container.duration / av.time_base
        cc = stream.codec_context
        report.width, report.height = cc.width or None, cc.height or None
        report.expected_frames = _expected_frames(stream, report.duration_s, rate)
        interval = 1.0 / fps if fps and fps > 0 else 0.0
        last_slot = -1
        index = -1
        remaining = set(keep) if keep is not None else None
        consecutive = 0
        out_size: tuple[int, int] | None = None
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
                consecutive = 0
            except av.error.FFmpegError as exc:
                report.errors += 1
                consecutive += 1
                if report.first_error is None:
                    report.first_error = f"{exc.__class__.__name__}: {exc}"
                if consecutive >= MAX_ERRORS:
                    log.warning(
                        "%s: giving up after %d broken packets in a row", source, consecutive
                    )
                    break
                continue
            for vf in frames:
                index += 1
                report.decoded += 1
                t = float(vf.time) if vf.time is not None else (index / rate if rate else 0.0)
                if first_t is None:
                    first_t = t
                last_t = t
                if remaining is not None:
                    if index not in remaining:
                        continue
                    remaining.discard(index)
                elif interval:
                    slot = math.floor(t / interval + 1e-6)
                    if slot <= last_slot:
                        continue
                    last_slot = slot
                if out_size is None:
                    out_size = scaled_size(vf.width, vf.height, width)
                img = vf.to_ndarray(width=out_size[0], height=out_size[1], format="rgb24")
                report.kept += 1
                yield Frame(source, index, t, np.ascontiguousarray(img))
            if remaining is not None and not remaining:
                break
    except av.error.FFmpegError as exc:  # container-level failure mid-stream: keep what we have
        report.errors += 1
        if report.first_error is None:
            report.first_error = f"{exc.__class__.__name__}: {exc}"
    finally:
        container.close()
    expected = report.expected_frames
    covered = report.decoded
    if rate and first_t is not None:
        covered = int(round((last_t - first_t) * rate)) + 1
    if keep is None and expected and covered < expected - max(2, expected // 100):
        # A truncated or broken tail: FFmpeg often stops silently. Frames missing inside the
        # stream are not counted (AVI "null" frames look the same and are legitimate).
        report.missing = expected - covered
        if report.first_error is None:
            report.first_error = (
                f"{report.missing} of {expected} frames missing (truncated or corrupt stream)"
            )
    if report.kept == 0 and keep is None:
        why = f" ({report.first_error})" if report.first_error else ""
        raise DecodeError(f"{source}: no frame could be decoded{why}")
    if report.errors or report.missing:
        log.warning(
            "%s: %d packet(s) failed to decode, %d frame(s) missing (first: %s); "
            "kept the %d frames that decoded",
            source,
            report.errors,
            report.missing,
            report.first_error,
            report.kept,
        )
