"""Job and media state, read and written in the object store (and the records database, when
one is configured: then a medium's record is a row there only, the store keeps its bytes).

A job's status is derived from which of its objects exist (see :mod:`farpoint.jobs.keys`):
``failed.json`` or ``cancel.json`` -> failed; ``stages/export.json`` (or ``stages/train.json``)
-> succeeded; any stage output -> running; else queued. Progress counts shards ingested and
embedded against the shard count ingest recorded. Writes are idempotent: the first failure
reason wins, stage markers are rewritten with the same content.

With ``records`` (:mod:`farpoint.records`), the lifecycle is mirrored there too: ``create``
claims a quota slot atomically, ``fail`` and ``cancel`` end the job (the first end wins) and free
its slot at once, ``succeed`` ends it when its last stage is done; ``status`` shows an end the
records know of even before the store does.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass
from typing import Any, Literal

from farpoint.errors import NotFoundError
from farpoint.jobs.keys import (
    DEFAULT_TENANT,
    JobKeys,
    MediaKeys,
    ModelKeys,
    job_index_prefix,
    tenant_root,
)
from farpoint.records.base import Media, Records, now_ms
from farpoint.store.base import Store

JobStatus = Literal["queued", "running", "succeeded", "failed"]
STAGES = ("ingest", "embedding", "normalization", "selection", "export")
_WEIGHTS = {"ingest": 0.2, "embedding": 0.5, "normalization": 0.1, "selection": 0.1, "export": 0.1}


def new_id() -> str:
    return uuid.uuid4().hex


def put_json(store: Store, key: str, obj: Any) -> None:
    store.put_bytes(key, json.dumps(obj, sort_keys=True, default=str).encode(), "application/json")


def get_json(store: Store, key: str) -> Any:
    return json.loads(store.get_bytes(key))


@dataclass
class MediaInfo:
    """An uploaded medium: ``kind`` is video, image or archive (sniffed from its bytes)."""

    id: str
    filename: str
    ext: str
    kind: str
    size: int
    content_type: str
    created_ms: int
    tenant: str = DEFAULT_TENANT
    uri: str | None = None  # s3://... when the medium references an object instead of an upload
    sha256: str | None = None  # of the bytes, when the gateway saw them stream by (uploads)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def as_record(self) -> Media:
        return Media(
            id=self.id,
            tenant=self.tenant,
            filename=self.filename,
            kind=self.kind,
            size=self.size,
            content_type=self.content_type,
            created_ms=self.created_ms,
            ext=self.ext,
            uri=self.uri,
            sha256=self.sha256,
        )

    @classmethod
    def from_record(cls, m: Media) -> MediaInfo:
        return cls(
            id=m.id,
            filename=m.filename,
            ext=m.ext,
            kind=m.kind,
            size=m.size,
            content_type=m.content_type,
            created_ms=m.created_ms,
            tenant=m.tenant,
            uri=m.uri,
            sha256=m.sha256,
        )


# A medium's record has one home: the records database when one is configured (a row; nothing
# but the bytes in the store), else ``media/<id>/meta.json`` in the store (no database at all).


def put_media_info(store: Store, info: MediaInfo, records: Records | None = None) -> None:
    if records is not None:
        records.add_media(info.as_record())
        return
    put_json(store, MediaKeys(info.tenant, info.id).meta, info.as_dict())


def get_media_info(
    store: Store, tenant: str, media_id: str, records: Records | None = None
) -> MediaInfo:
    if records is not None:
        return MediaInfo.from_record(records.get_media(tenant, media_id))
    keys = MediaKeys(tenant, media_id)
    try:
        data = get_json(store, keys.meta)
    except NotFoundError:
        raise NotFoundError(f"unknown media {media_id!r}") from None
    return MediaInfo(**data)


def list_media_info(
    store: Store, tenant: str, limit: int | None = None, records: Records | None = None
) -> list[MediaInfo]:
    """The tenant's media, newest first, at most ``limit`` (an indexed query with records)."""
    if records is not None:
        return [
            MediaInfo.from_record(m)
            for m in records.list_media(tenant, limit=limit, newest_first=True)
        ]
    prefix = tenant_root(tenant) + "media/"
    out = []
    for key in store.list(prefix):
        if key.endswith("/meta.json"):
            try:
                out.append(MediaInfo(**get_json(store, key)))
            except NotFoundError:  # deleted between the listing and the read
                continue
    out.sort(key=lambda m: (-m.created_ms, m.id))
    return out if limit is None else out[:limit]


def model_exists(store: Store, tenant: str, name: str) -> bool:
    return store.exists(ModelKeys(tenant, name).model)


class JobState:
    """The jobs of one tenant in a store."""

    def __init__(
        self, store: Store, tenant: str = DEFAULT_TENANT, records: Records | None = None
    ) -> None:
        self.store = store
        self.tenant = tenant
        self.records = records

    def keys(self, job_id: str) -> JobKeys:
        return JobKeys(self.tenant, job_id)

    # -- writing ------------------------------------------------------------------------------
    def create(
        self,
        kind: str,
        spec: dict[str, Any],
        job_id: str | None = None,
        max_active: int | None = None,
        trigger: dict[str, Any] | None = None,
    ) -> str:
        """Record a new job (records first: the quota claim, then ``job.json`` and its index
        marker); return its id. ``QuotaExceededError`` when the tenant's active jobs are at
        ``max_active`` (or its own quota in the records). ``trigger``: what submitted the job
        when no one asked for it (a dataset's automatic picks), shown with its status."""
        job_id = job_id or new_id()
        created = now_ms()
        if self.records is not None:
            created = self.records.create_job(
                self.tenant, kind, spec, job_id, max_active=max_active, now_ms=created
            ).created_ms
        self._write_job(job_id, kind, spec, created, trigger)
        return job_id

    def create_failed(
        self,
        kind: str,
        spec: dict[str, Any],
        job_id: str,
        stage: str,
        reason: str,
        trigger: dict[str, Any] | None = None,
    ) -> str:
        """Record a job that failed before it started (a trigger the quota refused): it is
        listed, failed with the reason, and claims no quota slot."""
        created = now_ms()
        if self.records is not None:
            created = self.records.add_failed_job(
                self.tenant, kind, spec, job_id, stage, reason
            ).created_ms
        self._write_job(job_id, kind, spec, created, trigger)
        keys = self.keys(job_id)
        if not self.store.exists(keys.failed):
            put_json(self.store, keys.failed, {"stage": stage, "reason": reason, "at_ms": created})
        return job_id

    def _write_job(
        self,
        job_id: str,
        kind: str,
        spec: dict[str, Any],
        created: int,
        trigger: dict[str, Any] | None,
    ) -> None:
        keys = self.keys(job_id)
        job: dict[str, Any] = {
            "id": job_id,
            "kind": kind,
            "spec": spec,
            "created_ms": created,
            "tenant": self.tenant,
        }
        if trigger is not None:
            job["trigger"] = trigger
        put_json(self.store, keys.job, job)
        self.store.put_bytes(keys.index(created), b"", "text/plain")

    def fail(self, job_id: str, stage: str, reason: str) -> bool:
        """Mark the job failed (the first end is kept); True when this call failed it.

        With records, their conditional update decides (two watchdogs or a watchdog and a stage
        racing over one job: exactly one wins and announces it); the store's ``failed.json``
        follows. A job the records do not know is failed in the store alone.
        """
        keys = self.keys(job_id)
        record = {"stage": stage, "reason": reason, "at_ms": now_ms()}
        if self.records is not None:
            if self.records.finish(self.tenant, job_id, "failed", stage, reason):
                if not self.store.exists(keys.failed):
                    put_json(self.store, keys.failed, record)
                return True
            try:
                self.records.get_job(self.tenant, job_id)
                return False  # it had ended already
            except NotFoundError:
                pass
        if self.store.exists(keys.failed):
            return False
        put_json(self.store, keys.failed, record)
        return True

    def cancel(self, job_id: str) -> None:
        """Cancel the job: stages skip it, and its quota slot is free at once."""
        keys = self.keys(job_id)
        self.load(job_id)
        if self.records is not None:
            self.records.finish(self.tenant, job_id, "cancelled", None, "cancelled")
        if not self.store.exists(keys.cancel):
            put_json(self.store, keys.cancel, {"at_ms": now_ms()})

    def succeed(self, job_id: str) -> bool:
        """End the job ``succeeded`` in the records (the store shows it by its last marker)."""
        if self.records is None:
            return False
        return self.records.finish(self.tenant, job_id, "succeeded")

    def progress(self, job_id: str, stage: str, done: int = 0, total: int | None = None) -> bool:
        """Report a stage's progress to the records (the watchdog's evidence); False when the
        records know the job has ended. Without records (or for a job they do not know), True."""
        if self.records is None:
            return True
        if self.records.progress(self.tenant, job_id, stage, done, total):
            return True
        try:
            return self.records.get_job(self.tenant, job_id).active
        except NotFoundError:
            return True

    def mark_stage(self, job_id: str, stage: str, info: dict[str, Any] | None = None) -> None:
        put_json(self.store, self.keys(job_id).stage_done(stage), info or {})

    # -- reading ------------------------------------------------------------------------------
    def load(self, job_id: str) -> dict[str, Any]:
        try:
            return get_json(self.store, self.keys(job_id).job)  # type: ignore[no-any-return]
        except NotFoundError:
            raise NotFoundError(f"unknown job {job_id!r}") from None

    def stage_done(self, job_id: str, stage: str) -> bool:
        return self.store.exists(self.keys(job_id).stage_done(stage))

    def stopped(self, job_id: str) -> bool:
        """Failed or cancelled: stages skip work for it."""
        keys = self.keys(job_id)
        return self.store.exists(keys.failed) or self.store.exists(keys.cancel)

    def count_shards(self, job_id: str) -> tuple[int, int]:
        """(shards with frames, shards with vectors) now in the store."""
        frames = vectors = 0
        for key in self.store.list(self.keys(job_id).shards):
            if key.endswith("/frames.npy"):
                frames += 1
            elif key.endswith("/vectors.npy"):
                vectors += 1
        return frames, vectors

    def status(self, job_id: str) -> dict[str, Any]:
        """The job as the REST API shows it."""
        job = self.load(job_id)
        keys = self.keys(job_id)
        out: dict[str, Any] = {
            "id": job_id,
            "kind": job["kind"],
            "created_ms": job["created_ms"],
            "status": "queued",
            "progress": 0.0,
            "error": None,
            "stages": {},
            "trigger": job.get("trigger"),
        }
        if job["kind"] == "train":
            done = self.stage_done(job_id, "train")
            out["stages"] = {"train": {"done": done}}
            out["progress"] = 1.0 if done else 0.0
            out["status"] = "succeeded" if done else "queued"
        else:
            self._selection_progress(job_id, out)
        if self.records is not None and out["status"] != "succeeded":
            try:
                rec = self.records.get_job(self.tenant, job_id)
            except NotFoundError:
                rec = None
            if rec is not None and rec.status in ("failed", "cancelled"):
                out["status"] = "failed"
                out["error"] = (
                    "cancelled" if rec.status == "cancelled" else (f"{rec.stage}: {rec.reason}")
                )
                return out
        if self.store.exists(keys.failed):
            failed = get_json(self.store, keys.failed)
            out["status"] = "failed"
            out["error"] = f"{failed['stage']}: {failed['reason']}"
        elif self.store.exists(keys.cancel) and out["status"] != "succeeded":
            out["status"] = "failed"
            out["error"] = "cancelled"
        return out

    def _selection_progress(self, job_id: str, out: dict[str, Any]) -> None:
        keys = self.keys(job_id)
        frames, vectors = self.count_shards(job_id)
        total = None
        if self.store.exists(keys.ingest):
            total = int(get_json(self.store, keys.ingest)["n_shards"])
        stages: dict[str, Any] = {
            "ingest": {"shards": frames, "done": total is not None},
            "embedding": {
                "shards": vectors,
                "of": total,
                "done": total is not None and vectors >= total,
            },
        }
        for stage in ("normalization", "selection", "export"):
            stages[stage] = {"done": self.stage_done(job_id, stage)}
        progress = 0.0
        progress += _WEIGHTS["ingest"] * (1.0 if stages["ingest"]["done"] else 0.5 * bool(frames))
        if total:
            progress += _WEIGHTS["embedding"] * min(1.0, vectors / total)
        for stage in ("normalization", "selection", "export"):
            progress += _WEIGHTS[stage] * stages[stage]["done"]
        out["stages"] = stages
        out["progress"] = round(progress, 3)
        if stages["export"]["done"]:
            out["status"] = "succeeded"
        elif frames or total is not None:
            out["status"] = "running"

    def list_status(
        self, cursor: str | None = None, limit: int = 50
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of the jobs as the REST API shows them. A job whose objects are not in the
        store (deleted, or recorded by another deployment sharing the records) is listed as its
        record says; it never fails the whole page."""
        ids, nxt = self.list(cursor, limit)
        out = []
        for job_id in ids:
            try:
                out.append(self.status(job_id))
            except NotFoundError:
                rec = self._record(job_id)
                if rec is not None:
                    out.append(self.record_status(rec))
        return out, nxt

    def _record(self, job_id: str) -> Any:
        if self.records is None:
            return None
        try:
            return self.records.get_job(self.tenant, job_id)
        except NotFoundError:
            return None

    @staticmethod
    def record_status(rec: Any) -> dict[str, Any]:
        """A job as its record alone shows it (no stage details)."""
        status = "failed" if rec.status == "cancelled" else rec.status
        error = None
        if rec.status == "cancelled":
            error = "cancelled"
        elif rec.status == "failed":
            error = f"{rec.stage}: {rec.reason}"
        return {
            "id": rec.id,
            "kind": rec.kind,
            "created_ms": rec.created_ms,
            "status": status,
            "progress": 1.0 if rec.status == "succeeded" else 0.0,
            "error": error,
            "stages": {},
        }

    def list(self, cursor: str | None = None, limit: int = 50) -> tuple[list[str], str | None]:
        """Job ids oldest first, ``limit`` at a time; ``cursor`` is the last one seen."""
        if self.records is not None:  # an indexed query instead of a listing of the store
            jobs, nxt = self.records.list_jobs(self.tenant, after=cursor, limit=limit)
            return [j.id for j in jobs], nxt
        prefix = job_index_prefix(self.tenant)
        names: list[str] = []
        more = False
        for key in self.store.list(prefix):
            name = key[len(prefix) :]
            if cursor is not None and name <= cursor:
                continue
            if len(names) == limit:
                more = True
                break
            names.append(name)
        ids = [n.split("-", 1)[1] for n in names]
        return ids, (names[-1] if more and names else None)
