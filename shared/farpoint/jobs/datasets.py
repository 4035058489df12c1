"""Datasets: a tenant's named set of media and the frames of it already sent for labeling.

With a records database (:mod:`farpoint.records`) a dataset is rows there and nowhere else: the
``datasets`` row, its membership in ``dataset_media`` (a medium may belong to several datasets;
adding is one transaction, idempotent) and its labeled frames in ``labeled_frames`` (one row per
(dataset, medium, frame index): marking is idempotent and atomic). Without a database the store
is the whole state, as for jobs: one object per dataset,
``tenants/<t>/datasets/<id>/dataset.json`` (read-modify-write; the last writer wins)::

    {"id", "name", "created_ms", "media_ids": [...],
     "labeled": [{"media_id", "frame_index"}, ...]}

Either way every function returns that shape (the REST API's ``DatasetOut``), with ``auto``:
the dataset's automatic picks per medium added (``{"per_media", "spec"}`` or None).

A selection job that names a dataset (``SelectionSpec.dataset_id``) selects *around* its labeled
frames: the selection stage passes the job's rows of those frames as ``labeled`` to the core's
``select_frames``, so new picks are far from what was labeled already (the CLI's ``--labeled``).
Frames and vectors of the dataset's media are reused across its jobs by the content-addressed
cache (:mod:`farpoint.jobs.cache`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import numpy as np

from farpoint.errors import InputError, NotFoundError
from farpoint.ingest.table import FrameTable
from farpoint.jobs.keys import DatasetKeys, check_id, datasets_prefix
from farpoint.jobs.spec import AutoPicks
from farpoint.jobs.state import get_json, get_media_info, new_id, now_ms, put_json
from farpoint.records.base import Dataset, Records
from farpoint.store.base import Store

MAX_MEDIA_PER_DATASET = 10_000


def _out(records: Records, ds: Dataset) -> dict[str, Any]:
    return {
        "id": ds.id,
        "name": ds.name,
        "created_ms": ds.created_ms,
        "media_ids": [m.id for m in records.list_media(ds.tenant, ds.id)],
        "labeled": [
            {"media_id": m, "frame_index": i} for m, i in records.labeled_frames(ds.tenant, ds.id)
        ],
        "auto": None
        if ds.auto_picks_per_media is None
        else {"per_media": ds.auto_picks_per_media, "spec": dict(ds.auto_spec or {})},
    }


def get_dataset(
    store: Store, tenant: str, dataset_id: str, records: Records | None = None
) -> dict[str, Any]:
    check_id(dataset_id, "dataset id")
    if records is not None:
        return _out(records, records.get_dataset(tenant, dataset_id))
    try:
        data: dict[str, Any] = get_json(store, DatasetKeys(tenant, dataset_id).dataset)
    except NotFoundError:
        raise NotFoundError(f"unknown dataset {dataset_id!r}") from None
    data.setdefault("auto", None)
    return data


def set_auto(
    store: Store,
    tenant: str,
    dataset_id: str,
    auto: AutoPicks | None,
    records: Records | None = None,
) -> dict[str, Any]:
    """Set (None: turn off) the dataset's automatic picks per medium added from now on."""
    per_media, spec = (None, None) if auto is None else (auto.per_media, auto.settings())
    if records is not None:
        records.set_dataset_auto(tenant, check_id(dataset_id, "dataset id"), per_media, spec)
        return get_dataset(store, tenant, dataset_id, records)
    data = get_dataset(store, tenant, dataset_id)
    data["auto"] = None if auto is None else auto.as_dict()
    _put(store, tenant, data)
    return data


def auto_job_id(dataset_id: str, content: str) -> str:
    """The one job of a dataset's automatic picks for a medium of this content (its sha256, or
    its id when the gateway did not see its bytes): a deterministic id, so the same clip added
    again, or a retried request, finds the job made already instead of making another."""
    digest = hashlib.sha256(f"{dataset_id}\n{content}".encode()).hexdigest()[:40]
    return f"auto-{digest}"


def labeled_frames(
    store: Store, tenant: str, dataset_id: str, records: Records | None = None
) -> list[tuple[str, int]]:
    """The dataset's labeled frames ``(media id, frame index)``, in the order they were marked."""
    if records is not None:
        return records.labeled_frames(tenant, check_id(dataset_id, "dataset id"))
    return [
        (str(f["media_id"]), int(f["frame_index"]))
        for f in get_dataset(store, tenant, dataset_id)["labeled"]
    ]


def _put(store: Store, tenant: str, data: dict[str, Any]) -> None:
    put_json(store, DatasetKeys(tenant, data["id"]).dataset, data)


def list_datasets(
    store: Store, tenant: str, records: Records | None = None
) -> list[dict[str, Any]]:
    """Every dataset of the tenant, oldest first."""
    if records is not None:
        return [_out(records, ds) for ds in records.list_datasets(tenant)]
    out = [
        {"auto": None, **get_json(store, k)}
        for k in store.list(datasets_prefix(tenant))
        if k.endswith("/dataset.json")
    ]
    return sorted(out, key=lambda d: (d["created_ms"], d["id"]))


def create_dataset(
    store: Store,
    tenant: str,
    name: str,
    media_ids: Iterable[str] = (),
    records: Records | None = None,
) -> dict[str, Any]:
    """A new dataset (the same name again returns the existing one, with ``media_ids`` added)."""
    if records is not None:
        ds = records.create_dataset(tenant, name, new_id())
        return add_media(store, tenant, ds.id, media_ids, records)
    for d in list_datasets(store, tenant):
        if d["name"] == name:
            return add_media(store, tenant, d["id"], media_ids)
    dataset_id = new_id()
    data = {
        "id": dataset_id,
        "name": name,
        "created_ms": now_ms(),
        "media_ids": [],
        "labeled": [],
        "auto": None,
    }
    _put(store, tenant, data)
    return add_media(store, tenant, dataset_id, media_ids)


def add_media(
    store: Store,
    tenant: str,
    dataset_id: str,
    media_ids: Iterable[str],
    records: Records | None = None,
) -> dict[str, Any]:
    """Add the tenant's media to the dataset (known ones are kept once, in order); an unknown
    medium is NotFoundError and adds nothing."""
    return add_media_new(store, tenant, dataset_id, media_ids, records)[0]


def add_media_new(
    store: Store,
    tenant: str,
    dataset_id: str,
    media_ids: Iterable[str],
    records: Records | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """:func:`add_media`, and the ids this call added (not in the dataset before)."""
    wanted = [check_id(m, "media id") for m in dict.fromkeys(media_ids)]
    if records is not None:
        check_id(dataset_id, "dataset id")
        added = records.add_dataset_media(
            tenant, dataset_id, wanted, max_media=MAX_MEDIA_PER_DATASET
        )
        return get_dataset(store, tenant, dataset_id, records), added
    data = get_dataset(store, tenant, dataset_id)
    new = [m for m in wanted if m not in data["media_ids"]]
    for mid in new:
        get_media_info(store, tenant, mid)  # NotFoundError: 404
    if len(data["media_ids"]) + len(new) > MAX_MEDIA_PER_DATASET:
        raise InputError(f"a dataset holds at most {MAX_MEDIA_PER_DATASET} media")
    if new:
        data["media_ids"] = data["media_ids"] + new
        _put(store, tenant, data)
    return data, new


def mark_labeled(
    store: Store,
    tenant: str,
    dataset_id: str,
    frames: Iterable[tuple[str, int]],
    records: Records | None = None,
) -> dict[str, Any]:
    """Record frames (media id, frame index) as sent for labeling (idempotent)."""
    if records is not None:
        records.mark_labeled(tenant, check_id(dataset_id, "dataset id"), list(frames))
        return get_dataset(store, tenant, dataset_id, records)
    data = get_dataset(store, tenant, dataset_id)
    have = {(f["media_id"], int(f["frame_index"])) for f in data["labeled"]}
    added = [(m, int(i)) for m, i in frames if (m, int(i)) not in have]
    if added:
        data["labeled"] = data["labeled"] + [
            {"media_id": m, "frame_index": i} for m, i in dict.fromkeys(added)
        ]
        _put(store, tenant, data)
    return data


def remove_media(store: Store, tenant: str, media_id: str, records: Records | None = None) -> None:
    """Forget a deleted medium in every dataset of the tenant (and its labeled frames); with
    records, deleting the medium's row does this (:meth:`Records.delete_media`)."""
    if records is not None:
        return
    for d in list_datasets(store, tenant):
        if media_id in d["media_ids"]:
            d["media_ids"] = [m for m in d["media_ids"] if m != media_id]
            d["labeled"] = [f for f in d["labeled"] if f["media_id"] != media_id]
            _put(store, tenant, d)


def labeled_rows(table: FrameTable, labeled: Iterable[tuple[str, int]]) -> np.ndarray:
    """The rows of a job's frame table (sources are media ids) that are these frames."""
    want = {(str(m), int(i)) for m, i in labeled}
    rows = [
        r
        for r, (m, fi) in enumerate(zip(table.sources, table.indices, strict=True))
        if (m, int(fi)) in want
    ]
    return np.asarray(rows, dtype=np.int64)


def candidate_rows(table: FrameTable, media_ids: Iterable[str]) -> np.ndarray:
    """The rows of a job's frame table that are frames of these media; InputError when none
    are (the media decoded to no frame, or the quality filter dropped them all)."""
    want = set(media_ids)
    rows = np.asarray([r for r, m in enumerate(table.sources) if m in want], dtype=np.int64)
    if not len(rows):
        raise InputError(
            f"no frame of the candidate media {sorted(want)} is left to pick from (none decoded, "
            "or the quality filter dropped them all)"
        )
    return rows


def table_rows(table: FrameTable, rows: np.ndarray) -> FrameTable:
    """The frame table of these rows only (in their order)."""
    pts = [table.pts_of(int(r)) for r in rows] if len(table.pts) == len(table) else []
    return FrameTable(
        sources=[table.sources[int(r)] for r in rows],
        indices=[table.indices[int(r)] for r in rows],
        timestamps=[table.timestamps[int(r)] for r in rows],
        pts=pts,
    )
