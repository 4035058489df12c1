"""Datasets: a tenant's named set of media and the frames of it already sent for labeling.

One object per dataset, ``tenants/<t>/datasets/<id>/dataset.json``::

    {"id", "name", "created_ms", "media_ids": [...],
     "labeled": [{"media_id", "frame_index"}, ...]}

A selection job that names a dataset (``SelectionSpec.dataset_id``) selects *around* its labeled
frames: the selection stage passes the job's rows of those frames as ``labeled`` to the core's
``select_frames``, so new picks are far from what was labeled already (the CLI's ``--labeled``).
Frames and vectors of the dataset's media are reused across its jobs by the content-addressed
cache (:mod:`farpoint.jobs.cache`). Writes are read-modify-write of one small object (the last
writer wins over a concurrent one; adding is idempotent).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from farpoint.errors import InputError, NotFoundError
from farpoint.ingest.table import FrameTable
from farpoint.jobs.keys import DatasetKeys, check_id, datasets_prefix
from farpoint.jobs.state import get_json, get_media_info, new_id, now_ms, put_json
from farpoint.store.base import Store

MAX_MEDIA_PER_DATASET = 10_000


def get_dataset(store: Store, tenant: str, dataset_id: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = get_json(
            store, DatasetKeys(tenant, check_id(dataset_id, "dataset id")).dataset
        )
    except NotFoundError:
        raise NotFoundError(f"unknown dataset {dataset_id!r}") from None
    return data


def _put(store: Store, tenant: str, data: dict[str, Any]) -> None:
    put_json(store, DatasetKeys(tenant, data["id"]).dataset, data)


def list_datasets(store: Store, tenant: str) -> list[dict[str, Any]]:
    """Every dataset of the tenant, oldest first."""
    out = [
        get_json(store, k)
        for k in store.list(datasets_prefix(tenant))
        if k.endswith("/dataset.json")
    ]
    return sorted(out, key=lambda d: (d["created_ms"], d["id"]))


def create_dataset(
    store: Store, tenant: str, name: str, media_ids: Iterable[str] = ()
) -> dict[str, Any]:
    """A new dataset (the same name again returns the existing one, with ``media_ids`` added)."""
    for d in list_datasets(store, tenant):
        if d["name"] == name:
            return add_media(store, tenant, d["id"], media_ids)
    dataset_id = new_id()
    data = {"id": dataset_id, "name": name, "created_ms": now_ms(), "media_ids": [], "labeled": []}
    _put(store, tenant, data)
    return add_media(store, tenant, dataset_id, media_ids)


def add_media(
    store: Store, tenant: str, dataset_id: str, media_ids: Iterable[str]
) -> dict[str, Any]:
    """Add the tenant's media to the dataset (known ones are kept once, in order)."""
    data = get_dataset(store, tenant, dataset_id)
    new = [m for m in dict.fromkeys(media_ids) if m not in data["media_ids"]]
    for mid in new:
        get_media_info(store, tenant, check_id(mid, "media id"))  # NotFoundError: 404
    if len(data["media_ids"]) + len(new) > MAX_MEDIA_PER_DATASET:
        raise InputError(f"a dataset holds at most {MAX_MEDIA_PER_DATASET} media")
    if new:
        data["media_ids"] = data["media_ids"] + new
        _put(store, tenant, data)
    return data


def mark_labeled(
    store: Store, tenant: str, dataset_id: str, frames: Iterable[tuple[str, int]]
) -> dict[str, Any]:
    """Record frames (media id, frame index) as sent for labeling (idempotent)."""
    data = get_dataset(store, tenant, dataset_id)
    have = {(f["media_id"], int(f["frame_index"])) for f in data["labeled"]}
    added = [(m, int(i)) for m, i in frames if (m, int(i)) not in have]
    if added:
        data["labeled"] = data["labeled"] + [
            {"media_id": m, "frame_index": i} for m, i in dict.fromkeys(added)
        ]
        _put(store, tenant, data)
    return data


def remove_media(store: Store, tenant: str, media_id: str) -> None:
    """Forget a deleted medium in every dataset of the tenant (and its labeled frames)."""
    for d in list_datasets(store, tenant):
        if media_id in d["media_ids"]:
            d["media_ids"] = [m for m in d["media_ids"] if m != media_id]
            d["labeled"] = [f for f in d["labeled"] if f["media_id"] != media_id]
            _put(store, tenant, d)


def labeled_rows(table: FrameTable, labeled: list[dict[str, Any]]) -> np.ndarray:
    """The rows of a job's frame table (sources are media ids) that are labeled frames."""
    want = {(str(f["media_id"]), int(f["frame_index"])) for f in labeled}
    rows = [
        r
        for r, (m, fi) in enumerate(zip(table.sources, table.indices, strict=True))
        if (m, int(fi)) in want
    ]
    return np.asarray(rows, dtype=np.int64)
