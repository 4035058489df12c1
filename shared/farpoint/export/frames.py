"""Write the picked frames as JPEG files, from a second decoding pass (seed paper §5.1.2:
"we go through the video feed again and only save the relevant frames")."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterable, Sequence
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


def export_frames(
    store: Store,
    prefix: str,
    picks: Iterable[Pick],
    *,
    width: int | None = None,
    progress: bool = True,
    pts: Sequence[int | None] | None = None,
) -> list[Pick]:
    """Decode the picked frames again (full size unless ``width``) and write them as JPEG.

    ``pts`` (one per pick, None where unknown) lets the second pass seek to each frame instead
    of decoding its whole source. Sets ``pick.file`` to the key written (relative to
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
    for frame in reread_frames(wanted, width=width):
        pick = by_key.get((frame.source, frame.index, None)) if frame.pts is None else None
        if pick is None:
            pick = by_key.get((frame.source, None, frame.pts))
        if pick is None:
            pick = by_key.get((frame.source, frame.index, None))
        if pick is None or pick.file is not None:
            continue
        name = f"frames/{frame_filename(pick)}"
        store.put_bytes(f"{prefix}{name}", jpeg_bytes(frame.image), "image/jpeg")
        pick.file = name
        bar.update(1)
    bar.close()
    missing = [p for p in picks if p.file is None]
    if missing:
        log.warning("%d picked frame(s) could not be decoded again", len(missing))
    return picks
