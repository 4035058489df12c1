"""The embed stage on a stream of frames: batching, progress, the CPU thread policy."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import numpy as np
from tqdm import tqdm

from farpoint.embed.base import Embedder
from farpoint.errors import InputError
from farpoint.ingest.frame import Frame
from farpoint.ingest.table import FrameTable


def _batched(frames: Iterable[Frame], size: int) -> Iterator[list[Frame]]:
    """Batches of frames of one shape (a change of shape closes the batch)."""
    batch: list[Frame] = []
    for f in frames:
        if batch and (len(batch) >= size or f.image.shape != batch[0].image.shape):
            yield batch
            batch = []
        batch.append(f)
    if batch:
        yield batch


def embed_frames(
    frames: Iterable[Frame],
    embedder: Embedder,
    *,
    table: FrameTable | None = None,
    progress: bool = True,
    total: int | None = None,
) -> np.ndarray:
    """Embed a stream of frames in batches; record each row's origin in ``table``."""
    table = table if table is not None else FrameTable()
    chunks: list[np.ndarray] = []
    bar = tqdm(total=total, desc="embed", unit="frame", disable=not progress, smoothing=0.1)
    try:
        for batch in _batched(frames, embedder.batch_size):
            vecs = embedder.embed(np.stack([f.image for f in batch]))
            chunks.append(np.asarray(vecs, np.float32))
            for f in batch:
                table.add(f)
            bar.update(len(batch))
    finally:  # end the bar's line even on error, so the one-line message starts a line
        bar.close()
    if not chunks:
        raise InputError("no frame to embed")
    return np.concatenate(chunks)


@contextmanager
def one_core_for_decoding(emb: Embedder) -> Iterator[None]:
    """While decoding runs in its thread, give a CPU embedder's torch one thread fewer.

    On 2 shared cores, torch's second OpenMP thread mostly spins waiting for a core FFmpeg (or
    another process) holds: EfficientNet-Lite0 measured 41-72 frames per CPU-second with 2
    threads, 120 with 1 (docs/performance.md, Pipeline). The thread count is restored after.
    """
    import torch

    before = torch.get_num_threads()
    on_cpu = not str(getattr(emb, "device", "cpu")).startswith("cuda")
    if on_cpu and before > 1:
        torch.set_num_threads(before - 1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
