"""The manifest: what was picked, from where, at what distance, and with which settings."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from farpoint.store.base import Store

MANIFEST_VERSION = "farpoint.manifest/1"
CSV_FIELDS = ["rank", "source", "frame_index", "timestamp_s", "distance", "file"]


@dataclass
class Pick:
    """One selected frame. ``rank`` 0 is the first pick; ``distance`` is the covering radius
    at the moment it was picked (``None`` for the first pick and for random picks)."""

    rank: int
    source: str
    frame_index: int
    timestamp_s: float
    distance: float | None
    row: int
    file: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_manifest(
    *,
    k: int,
    method: str,
    backend: str,
    fps: float | None,
    width: int | None,
    seed: int,
    dims: int,
    min_distance: float | None,
    embedder: dict[str, Any],
    normalize: dict[str, Any],
    inputs: list[dict[str, Any]],
    n_frames: int,
    stopped_early: bool,
    labeled: Sequence[str] = (),
    select_options: Mapping[str, Any] | None = None,
    quality: dict[str, Any] | None = None,
    timings: Mapping[str, float] | None = None,
    job_id: str | None = None,
    selection: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest's body (everything but the picks): the one builder ``farpoint select`` and
    the export service both call, so a job's manifest and the CLI's hold the same fields.

    ``fps``/``width`` of 0 mean "every frame"/"full size" and are written as ``None``; of
    ``select_options`` (group quota, minimum gap, dedup, ...) the scalar ones are recorded;
    ``timings`` are seconds (rounded to ms); ``labeled`` names the already-labeled inputs;
    ``selection`` is the selection's ``info`` (what ``auto`` ran, the stop reason, ...: the
    scalars kept, :func:`selection_details`).
    """
    manifest: dict[str, Any] = {
        "settings": {
            "k": k,
            "method": method,
            "backend": backend,
            "fps": fps or None,
            "width": width or None,
            "seed": seed,
            "dims": dims,
            "min_distance": min_distance,
            "labeled": [str(p) for p in labeled],
            **{key: v for key, v in (select_options or {}).items() if np.isscalar(v)},
        },
        "embedder": embedder,
        "normalize": normalize,
        "inputs": inputs,
        "n_frames": n_frames,
        "quality": quality or {},
        "stopped_early": bool(stopped_early),
        "selection": selection_details(selection or {}),
        "timings": manifest_timings(timings or {}),
    }
    if job_id is not None:
        manifest = {"job_id": job_id, **manifest}
    return manifest


def selection_details(info: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON scalars of a selection's ``info`` (method, what ``auto`` ran, ``typical``,
    ``stop_reason``, ...); per-row arrays such as ``dedup_rep`` are left out."""
    out: dict[str, Any] = {}
    for key, v in info.items():
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, str | bool | int | float) or v is None:
            out[str(key)] = v
    return out


def manifest_timings(timings: Mapping[str, float]) -> dict[str, float]:
    """The manifest's ``timings``: seconds per step, rounded to the millisecond (a caller that
    measures past :func:`build_manifest`, e.g. the export itself, sets them again with this)."""
    return {key: round(float(v), 3) for key, v in timings.items()}


def manifest_csv(picks: list[Pick]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for p in picks:
        writer.writerow({f: getattr(p, f) if getattr(p, f) is not None else "" for f in CSV_FIELDS})
    return buf.getvalue()


def write_manifest(store: Store, prefix: str, manifest: dict[str, Any], picks: list[Pick]) -> None:
    """Write ``manifest.json`` and ``manifest.csv`` under ``prefix``."""
    body = dict(manifest)
    body["version"] = MANIFEST_VERSION
    body["picks"] = [p.as_dict() for p in picks]
    store.put_bytes(
        f"{prefix}manifest.json",
        json.dumps(body, indent=2, default=str).encode(),
        "application/json",
    )
    store.put_bytes(f"{prefix}manifest.csv", manifest_csv(picks).encode(), "text/csv")
