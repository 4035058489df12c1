"""The :class:`farpoint.records.base.Records` contract: MemoryRecords and SqlRecords (SQLite and
PostgreSQL) behave the same. Subclasses provide a ``records`` fixture; tests use tenants of
their own (``tenant`` fixture), so one database may serve a whole session."""

from __future__ import annotations

import threading
import uuid

import pytest

from farpoint.errors import InputError, NotFoundError
from farpoint.records.base import Media, Records
from farpoint.security.errors import QuotaExceededError


def _id() -> str:
    return uuid.uuid4().hex


class RecordsContract:
    @pytest.fixture
    def tenant(self) -> str:
        return f"t-{uuid.uuid4().hex[:10]}"

    @pytest.fixture
    def other(self) -> str:
        return f"o-{uuid.uuid4().hex[:10]}"

    def test_is_records(self, records: Records) -> None:
        assert isinstance(records, Records)
        records.ping()

    def test_tenant_created_once_and_quota_set(self, records: Records, tenant: str) -> None:
        with pytest.raises(NotFoundError):
            records.get_tenant(tenant)
        first = records.ensure_tenant(tenant, max_active_jobs=3)
        assert first.max_active_jobs == 3
        again = records.ensure_tenant(tenant, max_active_jobs=9)
        assert again == first  # an existing tenant keeps its quota
        records.set_quota(tenant, 1)
        assert records.get_tenant(tenant).max_active_jobs == 1

    def test_keys_found_until_revoked_and_only_by_their_tenant(
        self, records: Records, tenant: str, other: str
    ) -> None:
        h = _id()
        key = records.add_key(tenant, h, "admin", "ci")
        assert (key.tenant, key.role, key.name) == (tenant, "admin", "ci")
        assert records.find_key(h) == key
        assert records.find_key(_id()) is None
        with pytest.raises(NotFoundError):
            records.revoke_key(other, h)
        records.revoke_key(tenant, h)
        assert records.find_key(h) is None
        records.revoke_key(tenant, h)  # idempotent

    def test_datasets_by_name_per_tenant(self, records: Records, tenant: str, other: str) -> None:
        a = records.create_dataset(tenant, "drives")
        assert records.create_dataset(tenant, "drives") == a
        b = records.create_dataset(other, "drives")
        assert b.id != a.id
        assert records.get_dataset(tenant, a.id) == a
        with pytest.raises(NotFoundError):
            records.get_dataset(other, a.id)
        assert [d.id for d in records.list_datasets(tenant)] == [a.id]

    def test_media_idempotent_and_tenant_scoped(
        self, records: Records, tenant: str, other: str
    ) -> None:
        m1 = Media(_id(), tenant, "a.mp4", "video", 10, "video/mp4", 1000, ".mp4", None, "ab" * 32)
        m2 = Media(_id(), tenant, "b.jpg", "image", 5, "image/jpeg", 2000, ".jpg", "s3://b/k.jpg")
        records.add_media(m1)
        records.add_media(m1)
        records.add_media(m2)
        assert records.get_media(tenant, m1.id) == m1
        assert records.get_media(tenant, m2.id).uri == "s3://b/k.jpg"
        assert [m.id for m in records.list_media(tenant)] == [m1.id, m2.id]
        assert [m.id for m in records.list_media(tenant, newest_first=True)] == [m2.id, m1.id]
        assert [m.id for m in records.list_media(tenant, newest_first=True, limit=1)] == [m2.id]
        with pytest.raises(NotFoundError):
            records.get_media(other, m1.id)
        assert records.list_media(other) == []

    def _media(self, records: Records, tenant: str, n: int) -> list[str]:
        ids = []
        for i in range(n):
            m = Media(_id(), tenant, f"{i}.mp4", "video", 10, "video/mp4", 1000 + i, ".mp4")
            records.add_media(m)
            ids.append(m.id)
        return ids

    def test_dataset_membership_ordered_idempotent_many_to_many(
        self, records: Records, tenant: str, other: str
    ) -> None:
        a, b = records.create_dataset(tenant, "a"), records.create_dataset(tenant, "b")
        m1, m2, m3 = self._media(records, tenant, 3)
        assert records.add_dataset_media(tenant, a.id, [m3, m1, m3]) == [m3, m1]
        assert records.add_dataset_media(tenant, a.id, [m1, m2]) == [m2]  # m1 is in already
        assert records.add_dataset_media(tenant, a.id, [m1]) == []
        assert records.add_dataset_media(tenant, b.id, [m1]) == [m1]  # in two datasets
        assert [m.id for m in records.list_media(tenant, a.id)] == [m3, m1, m2]
        assert [m.id for m in records.list_media(tenant, a.id, newest_first=True)] == [m2, m1, m3]
        assert [m.id for m in records.list_media(tenant, b.id)] == [m1]
        # an unknown medium adds nothing at all; another tenant's ids are unknown
        with pytest.raises(NotFoundError):
            records.add_dataset_media(tenant, b.id, [m2, _id()])
        assert [m.id for m in records.list_media(tenant, b.id)] == [m1]
        theirs = self._media(records, other, 1)[0]
        with pytest.raises(NotFoundError):
            records.add_dataset_media(tenant, b.id, [theirs])
        with pytest.raises(NotFoundError):
            records.add_dataset_media(other, a.id, [theirs])
        assert records.list_media(other, a.id) == []
        with pytest.raises(InputError):
            records.add_dataset_media(tenant, b.id, [m2, m3], max_media=2)
        assert records.add_dataset_media(tenant, b.id, [m2], max_media=2) == [m2]

    def test_dataset_membership_claimed_once_under_concurrent_adds(
        self, records: Records, tenant: str
    ) -> None:
        ds = records.create_dataset(tenant, "race")
        (m,) = self._media(records, tenant, 1)
        barrier = threading.Barrier(8)
        won: list[list[str]] = []

        def add() -> None:
            barrier.wait()
            won.append(records.add_dataset_media(tenant, ds.id, [m]))

        threads = [threading.Thread(target=add) for _ in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert sorted(won) == [[]] * 7 + [[m]]

    def test_labeled_frames_idempotent_and_tenant_scoped(
        self, records: Records, tenant: str, other: str
    ) -> None:
        ds = records.create_dataset(tenant, "l")
        m1, m2 = self._media(records, tenant, 2)
        assert records.mark_labeled(tenant, ds.id, [(m1, 4), (m2, 0), (m1, 4)]) == 2
        assert records.mark_labeled(tenant, ds.id, [(m1, 4), (m1, 9), (_id(), 1)]) == 1
        assert records.labeled_frames(tenant, ds.id) == [(m1, 4), (m2, 0), (m1, 9)]
        with pytest.raises(NotFoundError):
            records.labeled_frames(other, ds.id)
        with pytest.raises(NotFoundError):
            records.mark_labeled(other, ds.id, [(m1, 5)])
        theirs = self._media(records, other, 1)[0]
        assert records.mark_labeled(tenant, ds.id, [(theirs, 1)]) == 0
        assert records.labeled_frames(tenant, ds.id) == [(m1, 4), (m2, 0), (m1, 9)]

    def test_deleting_a_medium_leaves_its_datasets(
        self, records: Records, tenant: str, other: str
    ) -> None:
        a, b = records.create_dataset(tenant, "a"), records.create_dataset(tenant, "b")
        m1, m2 = self._media(records, tenant, 2)
        records.add_dataset_media(tenant, a.id, [m1, m2])
        records.add_dataset_media(tenant, b.id, [m1])
        records.mark_labeled(tenant, a.id, [(m1, 0), (m2, 3)])
        assert not records.delete_media(other, m1)
        assert records.delete_media(tenant, m1)
        assert not records.delete_media(tenant, m1)
        assert [m.id for m in records.list_media(tenant, a.id)] == [m2]
        assert records.list_media(tenant, b.id) == []
        assert records.labeled_frames(tenant, a.id) == [(m2, 3)]
        assert records.add_dataset_media(tenant, b.id, [m2]) == [m2]

    def test_dataset_auto_picks_setting(self, records: Records, tenant: str, other: str) -> None:
        ds = records.create_dataset(tenant, "auto")
        assert (ds.auto_picks_per_media, ds.auto_spec) == (None, None)
        on = records.set_dataset_auto(tenant, ds.id, 3, {"method": "fps", "seed": 2})
        assert (on.auto_picks_per_media, on.auto_spec) == (3, {"method": "fps", "seed": 2})
        assert records.get_dataset(tenant, ds.id) == on
        assert records.list_datasets(tenant) == [on]
        assert records.create_dataset(tenant, "auto") == on  # by name: the setting kept
        with pytest.raises(NotFoundError):
            records.set_dataset_auto(other, ds.id, 1, {})
        off = records.set_dataset_auto(tenant, ds.id, None, {"method": "fps"})
        assert (off.auto_picks_per_media, off.auto_spec) == (None, None)

    def test_a_failed_job_is_listed_and_claims_no_slot(
        self, records: Records, tenant: str, other: str
    ) -> None:
        records.set_quota(tenant, 1)
        jid = _id()
        records.create_job(tenant, "select", {}, jid, now_ms=1000)
        failed_id = _id()
        job = records.add_failed_job(tenant, "select", {"k": 3}, failed_id, "gateway", "quota")
        assert (job.status, job.stage, job.reason, job.active) == (
            "failed",
            "gateway",
            "quota",
            False,
        )
        assert records.active_jobs(tenant) == 1
        again = records.add_failed_job(tenant, "select", {"k": 9}, failed_id, "x", "y")
        assert again == job  # idempotent on the id
        assert records.add_failed_job(tenant, "select", {}, jid, "x", "y").status == "queued"
        with pytest.raises(NotFoundError):
            records.add_failed_job(other, "select", {}, failed_id, "x", "y")
        assert [j.id for j in records.list_jobs(tenant)[0]] == [jid, failed_id]
        assert not records.finish(tenant, failed_id, "succeeded")

    def test_job_lifecycle(self, records: Records, tenant: str, other: str) -> None:
        jid = _id()
        job = records.create_job(tenant, "select", {"k": 5, "media": ["m"]}, jid, now_ms=1000)
        assert (job.status, job.spec, job.created_ms, job.active) == (
            "queued",
            {"k": 5, "media": ["m"]},
            1000,
            True,
        )
        with pytest.raises(NotFoundError):
            records.get_job(other, jid)
        assert records.progress(tenant, jid, "ingest", 3, None, now_ms=2000)
        assert records.progress(tenant, jid, "ingest", 4, 4, now_ms=2500)
        running = records.get_job(tenant, jid)
        assert (running.status, running.updated_ms) == ("running", 2500)
        stages = records.stages(tenant, jid)
        assert (stages["ingest"].done, stages["ingest"].total) == (4, 4)
        assert not records.progress(other, jid, "ingest", 5)
        assert records.finish(tenant, jid, "failed", "embedding", "CUDA out of memory", now_ms=3000)
        # The first end wins: neither success nor cancel nor progress changes it.
        assert not records.finish(tenant, jid, "succeeded")
        assert not records.finish(tenant, jid, "cancelled")
        assert not records.progress(tenant, jid, "export", 1)
        done = records.get_job(tenant, jid)
        assert (done.status, done.stage, done.reason, done.finished_ms) == (
            "failed",
            "embedding",
            "CUDA out of memory",
            3000,
        )
        assert not records.finish(tenant, _id(), "failed")  # unknown job
        with pytest.raises(InputError):
            records.finish(tenant, jid, "running")

    def test_delete_is_tenant_scoped_and_frees_the_quota(
        self, records: Records, tenant: str, other: str
    ) -> None:
        jid, mid = _id(), _id()
        records.ensure_tenant(tenant, max_active_jobs=1)
        records.create_job(tenant, "select", {}, jid)
        records.progress(tenant, jid, "ingest", 1)
        records.add_media(Media(mid, tenant, "a.mp4", "video", 10, "video/mp4", 1000))
        assert not records.delete_job(other, jid) and not records.delete_media(other, mid)
        assert records.get_job(tenant, jid).active  # another tenant's delete changed nothing
        assert records.delete_job(tenant, jid) and records.delete_media(tenant, mid)
        with pytest.raises(NotFoundError):
            records.get_job(tenant, jid)
        with pytest.raises(NotFoundError):
            records.get_media(tenant, mid)
        with pytest.raises(NotFoundError):
            records.stages(tenant, jid)
        assert not records.delete_job(tenant, jid)  # once
        assert records.list_jobs(tenant)[0] == []
        records.create_job(tenant, "select", {}, _id())  # the slot is free again

    def test_create_is_idempotent_on_the_job_id(
        self, records: Records, tenant: str, other: str
    ) -> None:
        jid = _id()
        first = records.create_job(tenant, "select", {"k": 1}, jid, max_active=1)
        # A retried request returns the same job and claims no second slot.
        assert records.create_job(tenant, "select", {"k": 1}, jid, max_active=1) == first
        assert records.active_jobs(tenant) == 1
        with pytest.raises(NotFoundError):
            records.create_job(other, "select", {}, jid)

    def test_quota_counts_active_jobs_and_an_end_frees_it(
        self, records: Records, tenant: str
    ) -> None:
        a, b, c = _id(), _id(), _id()
        records.create_job(tenant, "select", {}, a, max_active=2)
        records.create_job(tenant, "select", {}, b, max_active=2)
        with pytest.raises(QuotaExceededError):
            records.create_job(tenant, "select", {}, c, max_active=2)
        assert records.active_jobs(tenant) == 2
        assert records.finish(tenant, a, "cancelled")
        records.create_job(tenant, "select", {}, c, max_active=2)
        # The tenant's own quota wins over the default.
        records.set_quota(tenant, 5)
        records.create_job(tenant, "select", {}, _id(), max_active=2)
        assert records.active_jobs(tenant) == 3

    def test_quota_exact_under_concurrent_requests(self, records: Records, tenant: str) -> None:
        records.ensure_tenant(tenant, max_active_jobs=5)
        ok: list[str] = []
        refused: list[str] = []
        errors: list[BaseException] = []
        barrier = threading.Barrier(16)

        def claim() -> None:
            jid = _id()
            barrier.wait()
            try:
                records.create_job(tenant, "select", {}, jid)
                ok.append(jid)
            except QuotaExceededError:
                refused.append(jid)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=claim) for _ in range(16)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        assert errors == []
        assert (len(ok), len(refused)) == (5, 11)
        assert records.active_jobs(tenant) == 5

    def test_listing_pages_in_creation_order(
        self, records: Records, tenant: str, other: str
    ) -> None:
        ids = [f"{i:02d}{_id()[:8]}" for i in range(7)]
        for i, jid in enumerate(ids):
            records.create_job(tenant, "select", {}, jid, now_ms=1000 + i // 2)  # ties too
        records.create_job(other, "select", {}, _id(), now_ms=500)
        seen: list[str] = []
        cursor = None
        pages = 0
        while True:
            page, cursor = records.list_jobs(tenant, after=cursor, limit=3)
            seen += [j.id for j in page]
            pages += 1
            if cursor is None:
                break
        assert seen == ids and pages == 3
        records.finish(tenant, ids[2], "succeeded")
        page, _ = records.list_jobs(tenant, status="succeeded")
        assert [j.id for j in page] == [ids[2]]
        with pytest.raises(InputError):
            records.list_jobs(tenant, after="garbage")

    def test_stalled_finds_active_jobs_without_recent_progress(
        self, records: Records, tenant: str
    ) -> None:
        quiet, busy, ended = _id(), _id(), _id()
        for jid in (quiet, busy, ended):
            records.create_job(tenant, "select", {}, jid, now_ms=10_000)
        records.progress(tenant, busy, "embedding", 1, now_ms=19_000)
        records.finish(tenant, ended, "succeeded", now_ms=11_000)
        stalled = {j.id for j in records.stalled(5_000, now_ms=20_000) if j.tenant == tenant}
        assert stalled == {quiet}
        assert {j.id for j in records.stalled(500, now_ms=20_000) if j.tenant == tenant} == {
            quiet,
            busy,
        }

    def test_audit_newest_first_per_tenant(self, records: Records, tenant: str, other: str) -> None:
        records.audit(tenant, "key:ci", "job.create", "job/1", {"k": 3})
        records.audit(tenant, "key:ci", "job.cancel", "job/1")
        records.audit(other, "key:x", "media.upload", "media/9")
        entries = records.list_audit(tenant)
        assert [(e.action, e.detail) for e in entries] == [
            ("job.cancel", {}),
            ("job.create", {"k": 3}),
        ]
        assert [e.action for e in records.list_audit(tenant, limit=1)] == ["job.cancel"]
