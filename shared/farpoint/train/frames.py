"""The frames ``farpoint train`` trains on: decoded once into a frame dataset, cached by inputs.

The cache key is the resolved paths, sizes and modification times of the input files plus the
decode width and fps, so a second run (or ``--resume``) on the same inputs decodes nothing.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path

from farpoint.errors import InputError
from farpoint.train.dataset import FrameSet

log = logging.getLogger(__name__)


def frames_key(files: Sequence[Path | str], width: int, fps: float) -> str:
    """Local files by path, size and mtime; object-store URIs (``s3://``) by their text."""
    h = hashlib.sha256(f"{width}|{fps}".encode())
    for f in files:
        if isinstance(f, Path):
            st = f.stat()
            h.update(f"|{f.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode())
        else:
            h.update(f"|{f}".encode())
    return h.hexdigest()[:20]


def prepare_frames(
    inputs: Sequence[str | Path],
    *,
    width: int = 100,
    fps: float = 10.0,
    frames_dir: str | Path | None = None,
    max_frames: int | None = None,
) -> FrameSet:
    """Decode ``inputs`` into a cached frame dataset (or reuse it) and open it."""
    from farpoint.errors import MissingInputError, NotFoundError
    from farpoint.ingest import expand_inputs
    from farpoint.store.local import LocalStore
    from farpoint.train.dataset import build_frame_dataset, has_frame_dataset, load_frame_set

    if not inputs:
        raise InputError("farpoint train needs at least one input (videos, images or folders)")
    try:
        files = expand_inputs(inputs)
    except NotFoundError as exc:
        raise MissingInputError(exc.message) from None
    if frames_dir is None:
        from farpoint.settings import get_settings

        key = frames_key(files, width, fps) + (f"-{max_frames}" if max_frames else "")
        frames_dir = get_settings().cache_dir / "frames" / key
    store = LocalStore(frames_dir)
    if has_frame_dataset(store):
        log.info("reusing decoded frames in %s", frames_dir)
    else:
        log.info("decoding %d input file(s) into %s", len(files), frames_dir)
        build_frame_dataset(files, store, width=width, fps=fps, max_frames=max_frames)
    return load_frame_set(store)
