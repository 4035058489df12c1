"""Upload guard, max k and the concurrent-job quota (on a real LocalStore)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from farpoint.errors import InputError
from farpoint.jobs.state import JobState
from farpoint.security.errors import (
    PayloadTooLargeError,
    QuotaExceededError,
    UnsupportedMediaError,
)
from farpoint.security.limits import check_k, guard_upload
from farpoint.security.quota import count_active_jobs, enforce_job_quota
from farpoint.settings import SecuritySettings
from farpoint.store.local import LocalStore
from tests.data import bikes_small, fixture


def test_guard_passes_real_video_through_unchanged(tmp_path: Path) -> None:
    data = bikes_small().read_bytes()
    limits = SecuritySettings(max_upload_bytes=len(data))
    with bikes_small().open("rb") as f:
        guarded = guard_upload(f, limits, declared_size=len(data))
        assert guarded.media.kind == "video"
        store = LocalStore(tmp_path)
        written = store.put_stream("m/original", guarded.stream)
    assert written == len(data)
    assert store.get_bytes("m/original") == data


def test_declared_size_over_limit_is_refused_before_reading() -> None:
    stream = io.BytesIO(fixture("images/street_a.jpg").read_bytes())
    with pytest.raises(PayloadTooLargeError, match="over the limit"):
        guard_upload(stream, SecuritySettings(max_upload_bytes=100), declared_size=101)
    assert stream.tell() == 0
    assert PayloadTooLargeError.http_status == 413


def test_undeclared_oversize_fails_while_streaming_and_leaves_nothing(tmp_path: Path) -> None:
    data = bikes_small().read_bytes()
    limits = SecuritySettings(max_upload_bytes=len(data) // 2)
    guarded = guard_upload(io.BytesIO(data), limits)  # the head alone is under the limit
    store = LocalStore(tmp_path)
    with pytest.raises(PayloadTooLargeError):
        store.put_stream("m/original", guarded.stream)
    assert list(store.list()) == []
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_wrong_type_is_415_whatever_the_name() -> None:
    with pytest.raises(UnsupportedMediaError, match="unrecognized file content"):
        guard_upload(io.BytesIO(b"#!/bin/sh\nrm -rf /\n" * 50), SecuritySettings())
    assert UnsupportedMediaError.http_status == 415


def test_disallowed_kind_is_415() -> None:
    limits = SecuritySettings(allowed_kinds=["video"])
    jpeg = fixture("images/street_a.jpg").read_bytes()
    with pytest.raises(UnsupportedMediaError, match="image .jpeg. uploads are not allowed"):
        guard_upload(io.BytesIO(jpeg), limits)


def test_empty_upload() -> None:
    with pytest.raises(InputError, match="empty"):
        guard_upload(io.BytesIO(b""), SecuritySettings())
    with pytest.raises(InputError, match="empty"):
        guard_upload(io.BytesIO(b"x"), SecuritySettings(), declared_size=0)


def test_max_k() -> None:
    limits = SecuritySettings(max_k=10)
    assert check_k(10, limits) == 10
    with pytest.raises(InputError, match="maximum of 10"):
        check_k(11, limits)
    with pytest.raises(InputError, match="at least 1"):
        check_k(0, limits)


def test_job_quota_counts_only_active_jobs(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    limits = SecuritySettings(max_concurrent_jobs=2)
    acme = JobState(store, "acme")
    first = acme.create("select", {"k": 3})
    second = acme.create("select", {"k": 3})
    JobState(store, "globex").create("select", {"k": 3})
    assert count_active_jobs(store, "acme") == 2
    with pytest.raises(QuotaExceededError, match="2 active jobs"):
        enforce_job_quota(store, "acme", limits)
    assert enforce_job_quota(store, "globex", limits) == 1  # quotas are per tenant
    acme.cancel(first)
    assert enforce_job_quota(store, "acme", limits) == 1
    acme.mark_stage(second, "export")
    assert count_active_jobs(store, "acme") == 0
    third = acme.create("select", {"k": 3})
    acme.fail(third, "ingest", "bad input")
    assert count_active_jobs(store, "acme") == 0


def test_job_quota_ignores_jobs_past_the_horizon(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    JobState(store, "acme").create("select", {"k": 1})
    assert count_active_jobs(store, "acme", horizon_s=3600) == 1
    assert count_active_jobs(store, "acme", horizon_s=-60) == 0
