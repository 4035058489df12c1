"""Content-addressed caches of decoded frames and embeddings, shared by every job of a tenant.

Frames are computed once per (media content, decode settings) and vectors once per (frames,
embedder, model content hash): a later job that asks for the same decoding and embedding -- a
different ``k``, method or normalization -- copies the cached objects into its own keys instead
of decoding or embedding again. The digests are sha256 over a canonical JSON of exactly what
decides the output; an entry is complete once its last object is written (``ingest.json`` for
frames, each shard's ``<n>.npy`` for vectors), so a crash mid-way leaves no entry that is read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from farpoint.store.base import Store

# bump when the shard format or decoding changes what a cached entry holds
CACHE_VERSION = 1


def _digest(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def media_content_id(path: Path | str, size: int | None = None) -> str:
    """sha256 of a local medium's bytes; a streamed ``s3://`` medium is named by URI and size."""
    if isinstance(path, str) and "://" in path:
        return f"uri:{path}:{size}"
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def frames_digest(
    content_ids: Sequence[str], width: int, fps: float, shard_size: int, quality: dict[str, Any]
) -> str:
    """The frames cache entry of these media (in order) decoded at these settings."""
    return _digest(
        {
            "v": CACHE_VERSION,
            "media": list(content_ids),
            "width": int(width),
            "fps": float(fps),
            "shard_size": int(shard_size),
            "quality": quality,
        }
    )


def vectors_digest(frames: str, embedder: str, model_hash: str | None) -> str:
    """The vectors cache entry of a frames entry embedded by ``embedder`` with the model whose
    content hash is ``model_hash`` (None: the embedder's built-in weights)."""
    return _digest(
        {"v": CACHE_VERSION, "frames": frames, "embedder": embedder, "model": model_hash}
    )


def copy_object(store: Store, src: str, dst: str) -> None:
    """Copy one cached object into the job (server-side on S3: no bytes through the service)."""
    store.copy(src, dst)
