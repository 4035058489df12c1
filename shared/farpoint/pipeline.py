"""The embedded default: every stage chained in-process on local files.

ingest (decode, resize, cap fps) -> embed -> normalize -> select -> export. The services run the
very same stage functions (:func:`embed_frames`, :func:`farpoint.normalize.fit_reducer`,
:func:`farpoint.select.select_points`, :func:`export_selection`), only reading their inputs from
the object store and writing their outputs there.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from farpoint.embed.base import DEFAULT_EMBEDDER, Embedder, get_embedder
from farpoint.errors import InputError
from farpoint.export import Pick, export_frames, write_manifest, write_report
from farpoint.ingest import DecodeReport, Frame, expand_inputs, iter_frames
from farpoint.ingest.prefetch import prefetch
from farpoint.normalize import apply_reducer, fit_reducer
from farpoint.select import Selection, select_points, validate_vectors
from farpoint.store.base import Store
from farpoint.store.local import LocalStore

log = logging.getLogger(__name__)

PREFETCH_FRAMES = 128  # decode runs in a thread this many frames ahead of embedding


@dataclass
class FrameTable:
    """Where each embedded row came from."""

    sources: list[str] = field(default_factory=list)
    indices: list[int] = field(default_factory=list)
    timestamps: list[float] = field(default_factory=list)
    pts: list[int | None] = field(default_factory=list)  # see Frame.pts; may be left empty

    def add(self, frame: Frame) -> None:
        self.sources.append(frame.source)
        self.indices.append(frame.index)
        self.timestamps.append(frame.timestamp)
        self.pts.append(frame.pts)

    def pts_of(self, row: int) -> int | None:
        """The pts of ``row`` (None when unknown, e.g. a table read from older metadata)."""
        return self.pts[row] if len(self.pts) == len(self.sources) else None

    def __len__(self) -> int:
        return len(self.sources)

    def group_ids(self) -> np.ndarray:
        """One integer per source, for per-video quotas and time gaps."""
        ids: dict[str, int] = {}
        return np.array([ids.setdefault(s, len(ids)) for s in self.sources], dtype=np.int64)


@dataclass
class SelectResult:
    """What :func:`select` returns."""

    picks: list[Pick]
    n_frames: int
    selection: Selection
    manifest: dict[str, Any]
    out: Path | None = None
    report: Path | None = None
    vectors: np.ndarray | None = field(default=None, repr=False)
    normalized: np.ndarray | None = field(default=None, repr=False)


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


def estimate_frames(paths: Sequence[Path], fps: float | None) -> int | None:
    """A cheap estimate of the frames ingest will yield (for the progress bar)."""
    from farpoint.ingest.images import is_archive, is_image

    total = 0
    for p in paths:
        if is_image(p):
            total += 1
            continue
        if is_archive(p):
            return None
        try:
            import av

            with av.open(str(p)) as c:
                s = c.streams.video[0]
                if s.duration and s.time_base is not None:
                    dur = float(s.duration * s.time_base)
                else:
                    dur = (c.duration or 0) / 1e6
                rate = float(s.average_rate or 0)
                total += int(dur * (min(rate, fps) if fps else rate)) or 1
        except Exception:  # noqa: BLE001 - only an estimate
            return None
    return total


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
def _one_core_for_decoding(emb: Embedder) -> Iterator[None]:
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


def select_frames(
    normalized: np.ndarray,
    table: FrameTable,
    k: int,
    *,
    method: str = "fps",
    backend: str = "auto",
    seed: int = 0,
    labeled: np.ndarray | None = None,
    min_distance: float | None = None,
    select_options: dict[str, Any] | None = None,
) -> Selection:
    """The select stage on frames: the budget check, per-video constraints, then
    :func:`farpoint.select.select_points`. The CLI and the selection service both call this."""
    n = normalized.shape[0]
    if k > n:
        raise InputError(f"k={k} is larger than the {n} frames decoded; ask for at most {n}")
    extra = dict(select_options or {})
    if "group_quota" in extra or "min_gap_s" in extra:
        extra.setdefault("groups", table.group_ids())
        extra.setdefault("times", np.asarray(table.timestamps))
    return select_points(
        normalized,
        k,
        method=method,
        backend=backend,
        seed=seed,
        labeled=labeled,
        min_distance=min_distance,
        **extra,
    )


def make_picks(table: FrameTable, selection: Selection) -> list[Pick]:
    """One :class:`Pick` per selected row, in pick order, with where the frame came from."""
    picks = []
    for rank, (row, dist) in enumerate(zip(selection.indices, selection.distances, strict=True)):
        d = float(dist)
        picks.append(
            Pick(
                rank=rank,
                source=table.sources[int(row)],
                frame_index=int(table.indices[int(row)]),
                timestamp_s=round(float(table.timestamps[int(row)]), 4),
                distance=None if not np.isfinite(d) else round(d, 6),
                row=int(row),
            )
        )
    return picks


def export_selection(
    store: Store,
    prefix: str,
    table: FrameTable,
    selection: Selection,
    normalized: np.ndarray,
    manifest: dict[str, Any],
    *,
    frames: bool = True,
    report: bool = True,
    progress: bool = True,
    seed: int = 0,
) -> tuple[list[Pick], str | None]:
    """Write the picked frames, manifest and report under ``prefix`` of ``store``."""
    picks = make_picks(table, selection)
    if frames:
        pts = [table.pts_of(p.row) for p in picks]
        export_frames(store, prefix, picks, progress=progress, pts=pts)
    write_manifest(store, prefix, manifest, picks)
    report_key = None
    if report:
        summary = {
            "frames seen": len(table),
            "frames picked": len(picks),
            "embedder": manifest.get("embedder", {}).get("name"),
            "normalization": manifest.get("normalize", {}).get("method"),
            "method": manifest.get("settings", {}).get("method"),
            "sources": len(set(table.sources)),
        }
        report_key = write_report(store, prefix, normalized, picks, summary, seed=seed)
    return picks, report_key


def select(
    inputs: Sequence[str | Path] | str | Path,
    k: int,
    out: str | Path | None = None,
    *,
    embedder: str | Embedder = DEFAULT_EMBEDDER,
    model: str | None = None,
    normalize: str = "umap",
    dims: int = 20,
    method: str = "fps",
    backend: str = "auto",
    fps: float | None = 10.0,
    width: int | None = 100,
    seed: int = 0,
    labeled: Sequence[str | Path] | None = None,
    min_distance: float | None = None,
    device: str = "auto",
    progress: bool = False,
    frames: bool = True,
    report: bool = True,
    keep_vectors: bool = False,
    select_options: dict[str, Any] | None = None,
) -> SelectResult:
    """Pick the ``k`` most diverse frames of ``inputs`` (videos, images, folders, archives).

    Runs ingest -> embed -> normalize -> select in memory; with ``out`` also writes the picked
    frames (full size, second decoding pass), ``manifest.json``/``.csv`` and ``report.html``.
    ``labeled`` inputs are already labeled: they are embedded and normalized with the rest, and
    the picks cover around them. Returns a :class:`SelectResult`.
    """
    t0 = time.perf_counter()
    c0 = c = time.process_time()  # CPU seconds of the process (all threads), per stage too
    if isinstance(inputs, str | Path):
        inputs = [inputs]
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k <= 0:
        raise InputError(f"k must be a positive integer; got {k!r}")
    paths = expand_inputs(inputs)
    emb = (
        get_embedder(embedder, model=model, device=device)
        if isinstance(embedder, str)
        else embedder
    )
    timings: dict[str, float] = {}

    reports: list[DecodeReport] = []
    table = FrameTable()
    t, c = time.perf_counter(), time.process_time()
    with _one_core_for_decoding(emb):
        vectors = embed_frames(
            prefetch(iter_frames(paths, width=width, fps=fps, reports=reports), PREFETCH_FRAMES),
            emb,
            table=table,
            progress=progress,
            total=estimate_frames(paths, fps) if progress else None,
        )
    timings["ingest+embed_s"] = time.perf_counter() - t
    timings["ingest+embed_cpu_s"], c = time.process_time() - c, time.process_time()
    n = vectors.shape[0]
    if k > n:
        raise InputError(f"k={k} is larger than the {n} frames decoded; ask for at most {n}")

    pool_vecs = None
    if labeled:
        pool_vecs = embed_frames(
            iter_frames(expand_inputs(labeled), width=width, fps=fps), emb, progress=progress
        )
    t, c = time.perf_counter(), time.process_time()
    fit_on = vectors if pool_vecs is None else np.concatenate([vectors, pool_vecs])
    reducer, ninfo = fit_reducer(fit_on, normalize, dims=dims, seed=seed)
    normalized = apply_reducer(reducer, vectors)
    pool_norm = apply_reducer(reducer, pool_vecs) if pool_vecs is not None else None
    timings["normalize_s"] = time.perf_counter() - t
    timings["normalize_cpu_s"], c = time.process_time() - c, time.process_time()

    t, c = time.perf_counter(), time.process_time()
    selection = select_frames(
        normalized,
        table,
        k,
        method=method,
        backend=backend,
        seed=seed,
        labeled=pool_norm,
        min_distance=min_distance,
        select_options=select_options,
    )
    timings["select_s"] = time.perf_counter() - t
    timings["select_cpu_s"], c = time.process_time() - c, time.process_time()

    manifest: dict[str, Any] = {
        "settings": {
            "k": k,
            "method": method,
            "backend": backend,
            "fps": fps,
            "width": width,
            "seed": seed,
            "dims": dims,
            "min_distance": min_distance,
            "labeled": [str(p) for p in labeled or []],
            **{k2: v for k2, v in (select_options or {}).items() if np.isscalar(v)},
        },
        "embedder": emb.describe(),
        "normalize": ninfo.as_dict(),
        "inputs": [r.as_dict() for r in reports],
        "n_frames": n,
        "stopped_early": selection.stopped_early,
    }
    result_out = None
    report_path = None
    if out is not None:
        t, c = time.perf_counter(), time.process_time()
        store = LocalStore(out)
        picks, report_key = export_selection(
            store,
            "",
            table,
            selection,
            normalized,
            manifest,
            frames=frames,
            report=report,
            progress=progress,
            seed=seed,
        )
        timings["export_s"] = time.perf_counter() - t
        timings["export_cpu_s"], c = time.process_time() - c, time.process_time()
        result_out = store.root
        report_path = store.root / report_key if report_key else None
    else:
        picks = make_picks(table, selection)
    timings["total_s"] = time.perf_counter() - t0
    timings["total_cpu_s"] = time.process_time() - c0
    manifest["timings"] = {k2: round(v, 3) for k2, v in timings.items()}
    if out is not None:
        write_manifest(LocalStore(out), "", manifest, picks)
    log.info("picked %d of %d frames in %.1fs", len(picks), n, timings["total_s"])
    return SelectResult(
        picks=picks,
        n_frames=n,
        selection=selection,
        manifest=manifest,
        out=result_out,
        report=report_path,
        vectors=vectors if keep_vectors else None,
        normalized=normalized if keep_vectors else None,
    )


def select_vectors(
    vectors: np.ndarray,
    k: int,
    *,
    method: str = "fps",
    normalize: str = "none",
    dims: int = 20,
    seed: int = 0,
    backend: str = "auto",
    labeled: np.ndarray | None = None,
    min_distance: float | None = None,
    **options: Any,
) -> Selection:
    """Select ``k`` rows of your own embeddings (``normalize='none'`` by default)."""
    x = validate_vectors(vectors)
    pool = None if labeled is None else validate_vectors(labeled, "labeled")
    if pool is not None and pool.shape[1] != x.shape[1]:
        raise InputError(
            f"labeled vectors have {pool.shape[1]} dims but the vectors have {x.shape[1]}"
        )
    if normalize != "none":
        fit_on = x if pool is None else np.concatenate([x, pool])
        reducer, _ = fit_reducer(fit_on, normalize, dims=dims, seed=seed)
        x = apply_reducer(reducer, x)
        pool = apply_reducer(reducer, pool) if pool is not None else None
    return select_points(
        x,
        k,
        method=method,
        backend=backend,
        seed=seed,
        labeled=pool,
        min_distance=min_distance,
        **options,
    )
