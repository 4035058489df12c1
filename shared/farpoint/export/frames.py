"""Write the picked frames as JPEG files, from a second decoding pass (seed paper §5.1.2:
"we go through the video feed again and only save the relevant frames")."""

from __future__ import annotations

import io
import logging
import os
import re
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image
from tqdm import tqdm

from farpoint.export.manifest import Pick
from farpoint.ingest import reread_frames
from farpoint.store.base import Store

log = logging.getLogger(__name__)


def frame_filename(pick: Pick) -> str:
    stem = Path(pick.source.split("!")[-1]).stem
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem)[:60] or "frame"
    return f"{pick.rank:05d}_{stem}_f{pick.frame_index:06d}.jpg"


def jpeg_bytes(image, quality: int = 92) -> bytes:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def export_workers() -> int:
    """Decoding threads for the second pass: one per core, at most 4 (FFmpeg decodes without
    the GIL, so threads use the cores; each opens its own container)."""
    return max(1, min(4, os.cpu_count() or 1))


MIN_PICKS_PER_WORKER = 16  # below this a second container costs more than it saves


def split_for_workers(
    wanted: list[tuple[str, int, int | None]], workers: int
) -> list[list[tuple[str, int, int | None]]]:
    """Contiguous slices of the picks in (source, position) order, one per worker.

    A long video's picks are cut into consecutive runs, so each worker seeks forward through its
    own part of the video (one decode of each GOP, as in one pass). Picks without a pts (found
    by decoding their source from the start) stay together per source."""
    seekable = sorted((w for w in wanted if w[2] is not None), key=lambda w: (w[0], w[2]))
    by_index: dict[str, list[tuple[str, int, int | None]]] = {}
    for w in wanted:
        if w[2] is None:
            by_index.setdefault(w[0], []).append(w)
    n = min(workers, max(1, len(seekable) // MIN_PICKS_PER_WORKER))
    slices = [seekable[i * len(seekable) // n : (i + 1) * len(seekable) // n] for i in range(n)]
    return [s for s in slices if s] + list(by_index.values())


def export_frames(
    store: Store,
    prefix: str,
    picks: Iterable[Pick],
    *,
    width: int | None = None,
    progress: bool = True,
    pts: Sequence[int | None] | None = None,
    workers: int | None = None,
) -> list[Pick]:
    """Decode the picked frames again (full size unless ``width``) and write them as JPEG.

    ``pts`` (one per pick, None where unknown) lets the second pass seek to each frame instead
    of decoding its whole source. The picks are decoded by ``workers`` threads (default
    :func:`export_workers`), each over its own contiguous slice (:func:`split_for_workers`); the
    files are the same for any count. Sets ``pick.file`` to the key written (relative to
    ``prefix``); returns the picks.
    """
    picks = list(picks)
    ids = list(pts) if pts is not None else [None] * len(picks)
    if len(ids) != len(picks):
        raise ValueError(f"{len(ids)} pts for {len(picks)} picks")
    by_key = {
        (p.source, p.frame_index if q is None else None, q): p
        for p, q in zip(picks, ids, strict=True)
    }
    wanted = [(p.source, p.frame_index, q) for p, q in zip(picks, ids, strict=True)]
    bar = tqdm(total=len(picks), desc="export", unit="frame", disable=not progress, leave=False)
    lock = threading.Lock()

    def write(part: list[tuple[str, int, int | None]]) -> None:
        for frame in reread_frames(part, width=width):
            pick = by_key.get((frame.source, frame.index, None)) if frame.pts is None else None
            if pick is None:
                pick = by_key.get((frame.source, None, frame.pts))
            if pick is None:
                pick = by_key.get((frame.source, frame.index, None))
            with lock:
                if pick is None or pick.file is not None:
                    continue
                name = f"frames/{frame_filename(pick)}"
                pick.file = name  # claimed: a frame found twice is written once
            store.put_bytes(f"{prefix}{name}", jpeg_bytes(frame.image), "image/jpeg")
            with lock:
                bar.update(1)

    parts = split_for_workers(wanted, workers or export_workers())
    try:
        if len(parts) <= 1:
            for part in parts:
                write(part)
        else:
            with ThreadPoolExecutor(min(len(parts), workers or export_workers())) as pool:
                for done in [pool.submit(write, part) for part in parts]:
                    done.result()  # the first error of a worker, raised here
    finally:
        bar.close()
    missing = [p for p in picks if p.file is None]
    if missing:
        log.warning("%d picked frame(s) could not be decoded again", len(missing))
    return picks
