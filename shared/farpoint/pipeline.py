"""The embedded default: every stage chained in-process on local files.

ingest (decode, resize, cap fps) -> embed -> normalize -> select -> export. This module only
orders the stage functions; each lives in its stage package, and the services call the very same
ones (:func:`farpoint.embed.batch.embed_frames`, :func:`farpoint.normalize.fit_reducer`,
:func:`farpoint.selection.frames.select_frames`, :func:`farpoint.export.picks.export_selection`),
only reading their inputs from the object store and writing their outputs there.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from farpoint.embed.base import DEFAULT_EMBEDDER, Embedder, get_embedder
from farpoint.embed.batch import embed_frames, one_core_for_decoding
from farpoint.errors import InputError
from farpoint.export import Pick, write_manifest
from farpoint.export.formats import default_url_for, parse_formats, write_exports
from farpoint.export.manifest import build_manifest, manifest_timings
from farpoint.export.picks import export_selection, make_picks
from farpoint.ingest import DEFAULT_FPS, DEFAULT_WIDTH, DecodeReport, expand_inputs, iter_frames
from farpoint.ingest.prefetch import prefetch
from farpoint.ingest.table import FrameTable, estimate_frames
from farpoint.normalize import DEFAULT_NORMALIZE, apply_reducer, fit_reducer
from farpoint.quality import QualityReport, QualitySettings, as_quality_settings, filter_frames
from farpoint.selection import Selection, validate_k
from farpoint.selection.frames import select_frames
from farpoint.selection.registry import DEFAULT_METHOD
from farpoint.store.local import LocalStore

log = logging.getLogger(__name__)

PREFETCH_FRAMES = 128  # decode runs in a thread this many frames ahead of embedding


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


def select(
    inputs: Sequence[str | Path] | str | Path,
    k: int,
    out: str | Path | None = None,
    *,
    embedder: str | Embedder = DEFAULT_EMBEDDER,
    model: str | None = None,
    normalize: str = DEFAULT_NORMALIZE,
    dims: int = 20,
    method: str = DEFAULT_METHOD,
    backend: str = "auto",
    fps: float | None = DEFAULT_FPS,
    width: int | None = DEFAULT_WIDTH,
    seed: int = 0,
    labeled: Sequence[str | Path] | None = None,
    min_distance: float | None = None,
    device: str = "auto",
    progress: bool = False,
    frames: bool = True,
    report: bool = True,
    keep_vectors: bool = False,
    select_options: dict[str, Any] | None = None,
    quality_filter: bool | dict[str, Any] | QualitySettings = True,
    export: str | Sequence[str] | None = None,
    image_base: str | None = None,
) -> SelectResult:
    """Pick the ``k`` most diverse frames of ``inputs`` (videos, images, folders, archives).

    Runs ingest -> embed -> normalize -> select in memory; with ``out`` also writes the picked
    frames (full size, second decoding pass), ``manifest.json``/``.csv`` and ``report.html``.
    ``labeled`` inputs are already labeled: they are embedded and normalized with the rest, and
    the picks cover around them. ``export`` (with ``out``): labeling-tool formats to write under
    ``out/exports/`` (``"coco,cvat"``, a list, or ``"all"``; :mod:`farpoint.export.formats`),
    image URLs made from ``image_base`` when given. Returns a :class:`SelectResult`.
    """
    t0 = time.perf_counter()
    c0 = c = time.process_time()  # CPU seconds of the process (all threads), per stage too
    if isinstance(inputs, str | Path):
        inputs = [inputs]
    validate_k(k, 1 << 62)  # type and sign now; against the frame count once decoded
    qsettings = as_quality_settings(quality_filter)  # junk frames dropped before embedding
    quality = QualityReport(qsettings)
    export_names = parse_formats(export)  # a bad name fails before any work
    if export_names and (out is None or not frames):
        raise InputError("exports need the picked frames: give an output folder, with frames")
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
    with one_core_for_decoding(emb):
        vectors = embed_frames(
            prefetch(
                filter_frames(
                    iter_frames(paths, width=width, fps=fps, reports=reports), qsettings, quality
                ),
                PREFETCH_FRAMES,
            ),
            emb,
            table=table,
            progress=progress,
            total=estimate_frames(paths, fps) if progress else None,
        )
    timings["ingest+embed_s"] = time.perf_counter() - t
    timings["ingest+embed_cpu_s"], c = time.process_time() - c, time.process_time()
    n = vectors.shape[0]
    quality.add_decode_reports(reports)
    left = f"frames left by the quality filter (dropped: {quality.summary()})"
    validate_k(k, n, left if qsettings.enabled else "frames decoded")

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

    manifest = build_manifest(
        k=k,
        method=method,
        backend=backend,
        fps=fps,
        width=width,
        seed=seed,
        dims=dims,
        min_distance=min_distance,
        labeled=[str(p) for p in labeled or []],
        select_options=select_options,
        embedder=emb.describe(),
        normalize=ninfo.as_dict(),
        inputs=[r.as_dict() for r in reports],
        n_frames=n,
        quality=quality.as_dict(),
        stopped_early=selection.stopped_early,
        selection=selection.info,
    )
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
    manifest["timings"] = manifest_timings(timings)
    if out is not None:
        write_manifest(LocalStore(out), "", manifest, picks)
        if export_names:
            store = LocalStore(out)
            write_exports(
                store, "", picks, manifest, export_names, url_for=default_url_for(store, image_base)
            )
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
