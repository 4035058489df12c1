"""Streaming video decoding with PyAV, per the seed paper §5.1.2.

Frames are decoded in memory one at a time (never written to disk), resized to a fixed width
with the aspect ratio kept (default 100 px), and the frame rate is capped (default 10 fps) by
keeping the first frame of each ``1/fps`` time slot. Each kept frame carries its source, its frame
index, its timestamp and its presentation timestamp (``pts``, in the stream's time base): the pts
is its identity, so a second pass (:func:`reread_video_frames`) can seek to the keyframe before it
and decode forward only that far instead of decoding the whole video again.

When the cap keeps at most every second frame (source rate >= 2x the cap), non-reference frames
are not decoded at all (FFmpeg ``skip_frame = NONREF``: typically the B-frames, which nothing else
is predicted from), which costs ~1.3x less. As soon as the reference frames alone leave a
``1/fps`` slot empty (e.g. 30 fps with every second frame a B-frame, capped at 10 fps), every
frame is decoded from there on (``DecodeReport.empty_slots`` counts slots left empty). The second
pass finds frames by pts either way. With frames skipped, the frame index is derived from the
timestamp (``round((t - t0) * rate)``, exact for constant-frame-rate video).

A corrupt stream keeps the frames that decoded: packets that fail are counted in the
:class:`DecodeReport` and skipped. A file that cannot be opened as a video at all raises
:class:`farpoint.errors.DecodeError`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np

from farpoint.errors import DecodeError, NotFoundError
from farpoint.ingest.frame import DEFAULT_FPS, DEFAULT_WIDTH, DecodeReport, Frame
from farpoint.ingest.remote import is_remote, open_remote

log = logging.getLogger(__name__)

MAX_ERRORS = 200  # give up on a source after this many consecutive broken packets
NONREF_MIN_RATIO = 2.0  # skip non-reference frames only when rate >= this x the fps cap
DEFAULT_GOP_S = 10.0  # assumed keyframe interval until the second pass has seen one


def skips_nonref(rate: float | None, fps: float | None) -> bool:
    """Whether the first pass may skip non-reference frames at this source rate and fps cap."""
    return bool(fps and fps > 0 and rate and rate >= NONREF_MIN_RATIO * fps)


def scaled_size(width: int, height: int, target_width: int | None) -> tuple[int, int]:
    """(w, h) for ``target_width`` with the aspect ratio kept; None keeps the size."""
    if not target_width or target_width <= 0:
        return width, height
    h = max(1, int(round(height * target_width / width)))
    return int(target_width), h


def _expected_frames(
    stream: av.video.stream.VideoStream, duration_s: float | None, rate: float | None
) -> int | None:
    """Frames the header promises (frame count, else duration x rate); None when unknown."""
    if stream.frames and stream.frames > 0:
        return int(stream.frames)
    if duration_s and rate:
        return int(round(duration_s * rate))
    return None


def open_container(path: str | Path) -> av.container.InputContainer:
    if isinstance(path, str) and is_remote(path):  # s3://...: ranged reads, no local copy
        return _open_stream(path, open_remote(path))
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


def _open_stream(name: str, stream: BinaryIO) -> av.container.InputContainer:
    try:
        container = av.open(stream, mode="r")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        stream.close()
        why = f"{exc.__class__.__name__}: {exc}"
        raise DecodeError(f"{name}: not a readable video ({why})") from exc
    if not container.streams.video:
        container.close()
        raise DecodeError(f"{name}: holds no video stream")
    return container


def iter_video_frames(
    path: str | Path,
    *,
    width: int | None = DEFAULT_WIDTH,
    fps: float | None = DEFAULT_FPS,
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
        nonref = keep is None and skips_nonref(rate, fps)
        last_slot = -1
        first_slot: int | None = None
        index = -1
        remaining = set(keep) if keep is not None else None
        consecutive = 0
        out_size: tuple[int, int] | None = None
        tb = stream.time_base
        decided = False
        for packet in container.demux(stream):
            if not decided:
                # Decide before the first decode: without timestamps nothing can be skipped
                # (the second pass would have no identity to seek to).
                decided = True
                nonref = nonref and packet.pts is not None and tb is not None
                if nonref:
                    cc.skip_frame = "NONREF"
                report.skip_nonref = nonref
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
                number = index
                if report.skip_nonref and rate:  # skipped frames leave gaps: number by time
                    number = int(round((t - first_t) * rate))
                if remaining is not None:
                    if index not in remaining:
                        continue
                    remaining.discard(index)
                elif interval:
                    slot = math.floor(t / interval + 1e-6)
                    if slot <= last_slot:
                        continue
                    if first_slot is None:
                        first_slot = slot
                    elif slot > last_slot + 1:
                        report.empty_slots += slot - last_slot - 1
                        if nonref:  # reference frames alone are too sparse: decode them all
                            nonref = False
                            cc.skip_frame = "DEFAULT"
                            log.info(
                                "%s: reference frames leave %g s slots empty; decoding "
                                "every frame from %.2f s on",
                                source,
                                interval,
                                t,
                            )
                    last_slot = slot
                if out_size is None:
                    out_size = scaled_size(vf.width, vf.height, width)
                img = vf.to_ndarray(width=out_size[0], height=out_size[1], format="rgb24")
                report.kept += 1
                yield Frame(source, number, t, np.ascontiguousarray(img), vf.pts)
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
    slack = max(2, expected // 100) if expected else 0
    if report.skip_nonref:
        slack += 8  # the last frames may be skipped non-reference frames (B-frame runs)
    if keep is None and expected and covered < expected - slack:
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


def _target_frame(vf: av.VideoFrame, source: str, index: int, width: int | None) -> Frame:
    w, h = scaled_size(vf.width, vf.height, width)
    img = vf.to_ndarray(width=w, height=h, format="rgb24")
    t = float(vf.time) if vf.time is not None else 0.0
    return Frame(source, index, t, np.ascontiguousarray(img), vf.pts)


def _reread_linear(
    container: av.container.InputContainer,
    source: str,
    targets: dict[int, int],
    width: int | None,
) -> Iterator[Frame]:
    """Decode every frame from the start, keeping the targets (when seeking is unreliable)."""
    stream = container.streams.video[0]
    stream.codec_context.skip_frame = "DEFAULT"
    container.seek(0, backward=True, any_frame=False, stream=stream)
    left = set(targets)
    for vf in container.decode(stream):
        if vf.pts in left:
            left.discard(vf.pts)
            yield _target_frame(vf, source, targets[vf.pts], width)
            if not left:
                return
    if left:
        log.warning("%s: %d picked frame(s) not found in the second pass", source, len(left))


def reread_video_frames(
    path: str | Path, targets: dict[int, int], *, width: int | None = None
) -> Iterator[Frame]:
    """Second pass: yield the frames whose pts is in ``targets`` (pts -> frame index).

    Seeks to the keyframe before each target and decodes forward only up to it. A target is
    reached by decoding on instead when no keyframe is known between it and the decoding
    position and it is at most the longest keyframe interval seen (10 s until one is seen) ahead,
    so picks that share a GOP cost one decode of it, not one each.
    Non-reference frames are skipped, as in a first pass that skipped them; a target that turns
    out to be one of them is fetched again with every frame decoded. If a seek lands after its
    target (an inexact index), the rest is found by one linear pass. Frames come in pts order;
    a target that cannot be found is logged and left out.
    """
    source = str(path)
    pending = sorted(set(targets))
    container = open_container(path)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        cc = stream.codec_context
        keys: set[int] = set()  # keyframe pts seen (landings and decoded runs)
        learned = 0  # longest keyframe interval seen while decoding on, in pts units
        default_gap = int(DEFAULT_GOP_S / float(stream.time_base)) if stream.time_base else 0
        full: set[int] = set()  # targets to fetch again with every frame decoded
        frames: Iterator[av.VideoFrame] | None = None
        pos: int | None = None  # pts of the last frame decoded
        run_key: int | None = None  # last keyframe of the current run of decoding
        skipping = False
        i = 0
        while i < len(pending):
            target = pending[i]
            want_skip = target not in full
            gap = learned or default_gap
            if (
                frames is None
                or pos is None
                or pos >= target
                or skipping != want_skip
                or target - pos > gap
                or any(pos < k <= target for k in keys)
            ):
                cc.skip_frame = "NONREF" if want_skip else "DEFAULT"
                skipping = want_skip
                container.seek(target, backward=True, any_frame=False, stream=stream)
                frames = container.decode(stream)
                pos = run_key = None
            first = pos is None
            found: av.VideoFrame | None = None
            for vf in frames:
                if vf.pts is None:
                    continue
                if vf.key_frame:
                    keys.add(vf.pts)
                    if run_key is not None and vf.pts > run_key:
                        learned = max(learned, vf.pts - run_key)
                    run_key = vf.pts
                pos = vf.pts
                if vf.pts >= target:
                    found = vf
                    break
                first = False
            if found is not None and found.pts == target:
                yield _target_frame(found, source, targets[target], width)
                i += 1
            elif found is not None and first:
                log.info("%s: seeking is inexact; decoding the rest in one pass", source)
                yield from _reread_linear(
                    container, source, {p: targets[p] for p in pending[i:]}, width
                )
                return
            elif want_skip:
                full.add(target)  # a skipped non-reference frame (or past the end)
                frames = None
            else:
                log.warning("%s: the frame at pts %d was not found again", source, target)
                i += 1
                frames = None if found is None else frames
    except av.error.FFmpegError as exc:
        log.warning("%s: second pass stopped: %s", source, exc)
    finally:
        container.close()
