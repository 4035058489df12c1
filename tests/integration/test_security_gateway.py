"""The gateway's security against the real stack (uvicorn over real S3 + Kafka): authentication,
roles, tenant isolation, presigned-URL expiry, upload limits and the job quota (issue 9)."""

from __future__ import annotations

import io
import json
import logging
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from minio import Minio

from farpoint.jobs.keys import JobKeys, ModelKeys
from farpoint.jobs.state import JobState
from farpoint.settings import KafkaSettings, S3Settings
from tests.data import bikes_small, fixture
from tests.integration.security_stack import (  # noqa: F401
    LIMITS,
    Stack,
    serve_gateway,
    stack,
    stack_settings,
    tenant_name,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def http(stack: Stack) -> Iterator[httpx.Client]:  # noqa: F811
    with httpx.Client(base_url=stack.url, timeout=60) as client:
        yield client


def upload(http: httpx.Client, headers: dict[str, str], data: bytes, name: str = "v.mp4") -> Any:
    return http.post(
        "/v1/media", headers=headers, files={"file": (name, io.BytesIO(data), "video/mp4")}
    )


def media_objects(stack: Stack, tenant: str) -> list[str]:  # noqa: F811
    return list(stack.store.list(f"tenants/{tenant}/media/"))


def test_every_api_route_needs_a_key(stack: Stack, http: httpx.Client) -> None:  # noqa: F811
    spec = http.get("/openapi.json").json()
    routes = [
        (method.upper(), re.sub(r"\{[^}]+\}", "0123456789abcdef", path))
        for path, ops in spec["paths"].items()
        for method in ops
    ]
    assert len(routes) >= 14 and all(p.startswith("/v1/") for _, p in routes)
    revoked_token, record = stack.registry.create(tenant_name("gone"), "admin")
    stack.registry.revoke(record.key_id)
    good = stack.key(tenant_name("auth"), "admin")["Authorization"]
    bad_headers = [
        {},
        {"Authorization": "Bearer fp_0123456789abcdef_" + "x" * 43},
        {"Authorization": good[:-3] + "abc"},
        {"Authorization": good.removeprefix("Bearer ")},
        {"Authorization": f"Bearer {revoked_token}"},
    ]
    for method, path in routes:
        for headers in bad_headers:
            r = http.request(method, path, headers=headers)
            assert r.status_code == 401, (method, path, headers, r.text)
            assert r.headers["www-authenticate"].startswith("Bearer")
            assert r.json()["error"]["status"] == 401
    for probe in ("/healthz", "/readyz", "/metrics"):
        assert http.get(probe).status_code == 200


def test_reader_cannot_change_anything(stack: Stack, http: httpx.Client) -> None:  # noqa: F811
    tenant = tenant_name("roles")
    writer, reader = stack.key(tenant, "writer"), stack.key(tenant, "reader")
    r = upload(http, writer, bikes_small().read_bytes())
    assert r.status_code == 201, r.text
    mid = r.json()["id"]
    job = {"media_ids": [mid], "k": 3, "embedder": "pixels"}
    r = http.post("/v1/jobs", headers=reader, json=job)
    assert r.status_code == 403 and "reader" in r.json()["error"]["message"]
    assert upload(http, reader, bikes_small().read_bytes()).status_code == 403
    assert http.post("/v1/training-jobs", headers=reader, json={}).status_code == 403
    assert http.post("/v1/keys", headers=reader, json={"role": "reader"}).status_code == 403
    job_id = http.post("/v1/jobs", headers=writer, json=job).json()["id"]
    assert http.post(f"/v1/jobs/{job_id}/cancel", headers=reader).status_code == 403
    assert http.get(f"/v1/jobs/{job_id}", headers=reader).json()["status"] == "queued"
    assert http.get(f"/v1/media/{mid}", headers=reader).status_code == 200
    assert http.post("/v1/keys", headers=writer, json={"role": "reader"}).status_code == 403


def _finish_job_as_the_stages_would(stack: Stack, tenant: str, job_id: str) -> None:  # noqa: F811
    """Write what export leaves behind (frame, manifest, stage marker) for a finished job."""
    keys = JobKeys(tenant, job_id)
    stack.store.put_bytes(
        keys.result + "frames/0000.jpg", fixture("images/street_a.jpg").read_bytes()
    )
    manifest = {
        "picks": [
            {"source": "m", "frame_index": 0, "timestamp_s": 0.0, "rank": 0, "distance": None,
             "file": "frames/0000.jpg"}
        ],
        "n_frames": 1,
    }  # fmt: skip
    stack.store.put_bytes(keys.manifest, json.dumps(manifest).encode())
    JobState(stack.store, tenant).mark_stage(job_id, "export")


def test_tenants_cannot_see_each_other(stack: Stack, http: httpx.Client) -> None:  # noqa: F811
    a_tenant, b_tenant = tenant_name("a"), tenant_name("b")
    a, b = stack.key(a_tenant, "admin"), stack.key(b_tenant, "admin")
    b_media = upload(http, b, bikes_small().read_bytes()).json()["id"]
    b_job = http.post(
        "/v1/jobs", headers=b, json={"media_ids": [b_media], "k": 2, "embedder": "pixels"}
    ).json()["id"]
    b_upload = http.post("/v1/media/uploads", headers=b, json={"filename": "x.mp4"}).json()["id"]
    stack.store.put_bytes(ModelKeys(b_tenant, "b-model").meta, b'{"name": "b-model"}')
    stack.store.put_bytes(ModelKeys(b_tenant, "b-model").model, b"weights")
    _finish_job_as_the_stages_would(stack, b_tenant, b_job)
    assert http.get(f"/v1/jobs/{b_job}/result", headers=b).status_code == 200

    # A: every read, cancel and download of B's ids is 404, and lists show nothing of B's
    for method, path, body in [
        ("GET", f"/v1/media/{b_media}", None),
        ("GET", f"/v1/jobs/{b_job}", None),
        ("POST", f"/v1/jobs/{b_job}/cancel", None),
        ("GET", f"/v1/jobs/{b_job}/result", None),
        ("GET", "/v1/models/b-model", None),
        ("POST", f"/v1/media/{b_upload}/complete", {"filename": "x.mp4"}),
        ("POST", "/v1/jobs", {"media_ids": [b_media], "k": 2, "embedder": "pixels"}),
        ("POST", "/v1/training-jobs", {"media_ids": [b_media], "model_name": "steal"}),
    ]:
        r = http.request(method, path, headers=a, json=body)
        assert r.status_code == 404, (method, path, r.text)
        assert b_media not in r.text or "unknown media" in r.text
    assert http.get("/v1/jobs", headers=a).json()["items"] == []
    assert http.get("/v1/models", headers=a).json()["items"] == []
    b_key_ids = {k["key_id"] for k in http.get("/v1/keys", headers=b).json()["items"]}
    a_keys = http.get("/v1/keys", headers=a).json()["items"]
    assert a_keys and not b_key_ids & {k["key_id"] for k in a_keys}
    for key_id in b_key_ids:
        assert http.delete(f"/v1/keys/{key_id}", headers=a).status_code == 404

    # ... and B still has all of it, untouched
    assert http.get(f"/v1/jobs/{b_job}", headers=b).json()["status"] == "succeeded"
    assert [j["id"] for j in http.get("/v1/jobs", headers=b).json()["items"]] == [b_job]
    assert http.get("/v1/models/b-model", headers=b).status_code == 200
    assert not stack.store.exists(JobKeys(b_tenant, b_job).cancel)
    assert list(stack.store.list(f"tenants/{a_tenant}/")) == []


def test_result_links_expire_at_the_object_store(stack: Stack, http: httpx.Client) -> None:  # noqa: F811
    tenant = tenant_name("links")
    w = stack.key(tenant, "writer")
    mid = upload(http, w, bikes_small().read_bytes()).json()["id"]
    job = http.post("/v1/jobs", headers=w, json={"media_ids": [mid], "k": 1}).json()["id"]
    _finish_job_as_the_stages_would(stack, tenant, job)
    result = http.get(f"/v1/jobs/{job}/result", headers=w).json()
    url = result["items"][0]["url"]
    assert "X-Amz-Expires=2" in url
    fresh = httpx.get(url, timeout=10)
    assert fresh.status_code == 200 and fresh.content[:3] == b"\xff\xd8\xff"
    assert httpx.get(url.replace("0000.jpg", "0001.jpg"), timeout=10).status_code == 403
    time.sleep(3.5)
    assert httpx.get(url, timeout=10).status_code == 403
    assert httpx.get(result["manifest_url"], timeout=10).status_code == 403

    put = http.post("/v1/media/uploads", headers=w, json={"filename": "late.mp4"}).json()
    time.sleep(3.5)
    r = httpx.put(put["upload_url"], content=bikes_small().read_bytes(), timeout=10)
    assert r.status_code == 403
    assert (
        http.post(
            f"/v1/media/{put['id']}/complete", headers=w, json={"filename": "late.mp4"}
        ).status_code
        == 404
    )


def test_oversized_and_wrong_type_uploads_write_nothing(stack: Stack, http: httpx.Client) -> None:  # noqa: F811
    tenant = tenant_name("uploads")
    w = stack.key(tenant, "writer")
    big = bikes_small().read_bytes() * 20  # a real mp4 head, 2.3 MB > the 2 MiB limit
    r = upload(http, w, big)
    assert r.status_code == 413, r.text
    assert "limit" in r.json()["error"]["message"]
    text = b"#!/bin/sh\necho this is not a video\n" * 100
    for name, ctype in (("clip.mp4", "video/mp4"), ("photo.jpg", "image/jpeg")):
        r = http.post("/v1/media", headers=w, files={"file": (name, io.BytesIO(text), ctype)})
        assert r.status_code == 415, r.text
    r = http.post("/v1/media", headers=w, files={"file": ("a.mp4", io.BytesIO(b""), "video/mp4")})
    assert r.status_code in (413, 415, 422) and r.status_code != 201
    assert media_objects(stack, tenant) == []
    assert list(stack.store.list(f"tenants/{tenant}/")) == []
    # a presigned upload of the wrong type is removed when completed
    put = http.post("/v1/media/uploads", headers=w, json={"filename": "x.mp4"}).json()
    assert httpx.put(put["upload_url"], content=text, timeout=10).status_code == 200
    r = http.post(f"/v1/media/{put['id']}/complete", headers=w, json={"filename": "x.mp4"})
    assert r.status_code == 415
    assert media_objects(stack, tenant) == []
    # a JSON body over the request limit is refused before it is parsed
    huge = {"media_ids": ["m"] * 1, "k": 1, "backend": "x" * (2 * 1024 * 1024)}
    assert http.post("/v1/jobs", headers=w, json=huge).status_code == 413
    # and a good upload still works
    assert upload(http, w, bikes_small().read_bytes()).status_code == 201


def test_quota_and_max_k(stack: Stack, http: httpx.Client) -> None:  # noqa: F811
    tenant, other = tenant_name("quota"), tenant_name("quota-other")
    w, w2 = stack.key(tenant, "writer"), stack.key(other, "writer")
    mid = upload(http, w, bikes_small().read_bytes()).json()["id"]
    spec = {"media_ids": [mid], "k": 2, "embedder": "pixels"}
    r = http.post("/v1/jobs", headers=w, json=spec | {"k": 1001})
    assert r.status_code == 422 and "maximum of 1000" in r.json()["error"]["message"]
    ids = [http.post("/v1/jobs", headers=w, json=spec).json()["id"] for _ in range(2)]
    r = http.post("/v1/jobs", headers=w, json=spec)
    assert r.status_code == 429, r.text
    assert "2 active jobs" in r.json()["error"]["message"]
    assert len(JobState(stack.store, tenant).list()[0]) == 2  # the refused job was not recorded
    # another tenant is not affected
    mid2 = upload(http, w2, bikes_small().read_bytes()).json()["id"]
    assert http.post("/v1/jobs", headers=w2, json=spec | {"media_ids": [mid2]}).status_code == 201
    # cancelling one frees a slot
    assert http.post(f"/v1/jobs/{ids[0]}/cancel", headers=w).status_code == 200
    assert http.post("/v1/jobs", headers=w, json=spec).status_code == 201


def test_audit_log_lines(
    stack: Stack,  # noqa: F811
    http: httpx.Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    tenant = tenant_name("audit")
    w, r = stack.key(tenant, "writer"), stack.key(tenant, "reader")
    with caplog.at_level(logging.INFO, logger="farpoint.audit"):
        mid = upload(http, w, bikes_small().read_bytes()).json()["id"]
        spec = {"media_ids": [mid], "k": 1}
        job = http.post("/v1/jobs", headers=w, json=spec).json()["id"]
        assert http.post(f"/v1/jobs/{job}/cancel", headers=r).status_code == 403
        assert http.get(f"/v1/jobs/{job}", headers=r).status_code == 200
    lines = [json.loads(x.getMessage()) for x in caplog.records if x.name == "farpoint.audit"]
    lines = [x for x in lines if x.get("tenant") == tenant]
    assert [(x["action"], x["status"], x["outcome"]) for x in lines] == [
        ("POST /v1/media", 201, "ok"),
        ("POST /v1/jobs", 201, "ok"),
        ("POST /v1/jobs/{job_id}/cancel", 403, "denied"),
    ]
    writer_id = stack.tokens[f"{tenant}/writer"].split("_")[1]
    assert lines[1]["key_id"] == writer_id and lines[2]["params"] == {"job_id": job}
    for token in (stack.tokens[f"{tenant}/writer"], stack.tokens[f"{tenant}/reader"]):
        assert token not in caplog.text and token.split("_", 2)[2] not in caplog.text


def test_refused_upload_over_one_multipart_part_leaves_nothing_in_s3(
    s3_settings: S3Settings, kafka_settings: KafkaSettings
) -> None:
    """Uploads bigger than one S3 multipart part (5 MiB) and over the limit are refused with 413
    by the one upload guard — past the body limit (limit + multipart slack) or within it — and
    neither an object nor an unfinished multipart upload is left in the real store."""
    part = 5 * 1024 * 1024
    limits = LIMITS.model_copy(update={"max_upload_bytes": part + part // 5})  # 6 MiB
    settings = stack_settings(s3_settings, kafka_settings, limits)
    settings = settings.model_copy(
        update={"s3": settings.s3.model_copy(update={"part_size": part})}
    )
    head = bikes_small().read_bytes()  # a real mp4 head: the type check passes
    within_slack = (head * (limits.max_upload_bytes // len(head) + 40))[: part + part // 3]
    far_over = head * (3 * part // len(head))
    with serve_gateway(settings) as gw, httpx.Client(base_url=gw.url, timeout=60) as client:
        tenant = tenant_name("big")
        w = gw.key(tenant, "writer")
        # refused by the upload guard (the file's size), then by the body limit (Content-Length)
        for data, by in ((within_slack, "upload of"), (far_over, "request body")):
            assert len(data) > part and len(data) > limits.max_upload_bytes
            r = upload(client, w, data)
            assert r.status_code == 413, r.text
            assert "limit" in r.json()["error"]["message"] and by in r.json()["error"]["message"]
        assert media_objects(gw, tenant) == []
        assert list(gw.store.list(f"tenants/{tenant}/")) == []
        minio = Minio(
            s3_settings.endpoint,
            access_key=s3_settings.access_key,
            secret_key=s3_settings.secret_key,
            secure=s3_settings.secure,
        )
        pending = minio._list_multipart_uploads(gw.settings.s3.bucket, prefix="tenants/")  # noqa: SLF001
        assert list(pending.uploads) == []
        ok = upload(client, w, head)  # and the same gateway takes a good upload
        assert ok.status_code == 201, ok.text
