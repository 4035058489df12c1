"""Body-size limit and audit middleware on a small real FastAPI app."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.testclient import TestClient

from farpoint.auth import Authenticator, KeyRegistry, Principal
from farpoint.auth.dependencies import install_auth, require_role
from farpoint.security.audit import AuditMiddleware, outcome_of
from farpoint.security.body_limit import BodySizeLimitMiddleware
from farpoint.store.local import LocalStore


def make_app(registry: KeyRegistry) -> FastAPI:
    app = FastAPI()
    install_auth(app, Authenticator(registry, cache_s=0))
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=1024, large={"/upload": 64 * 1024})
    app.add_middleware(AuditMiddleware)

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"n": len(await request.body())}

    @app.post("/upload")
    async def upload(request: Request) -> dict[str, int]:
        return {"n": len(await request.body())}

    @app.post("/jobs/{job_id}/cancel")
    def cancel(
        job_id: str,
        request: Request,
        p: Principal = Depends(require_role("writer")),  # noqa: B008
    ) -> dict[str, str]:
        request.state.audit_object = job_id
        return {"cancelled": job_id}

    @app.get("/jobs")
    def jobs(p: Principal = Depends(require_role("reader"))) -> list[str]:  # noqa: B008
        return []

    return app


@pytest.fixture
def registry(tmp_path: Path) -> KeyRegistry:
    return KeyRegistry(LocalStore(tmp_path))


def test_body_limits(registry: KeyRegistry) -> None:
    client = TestClient(make_app(registry))
    assert client.post("/echo", content=b"x" * 1024).json() == {"n": 1024}
    r = client.post("/echo", content=b"x" * 1025)
    assert r.status_code == 413 and "limit" in r.json()["detail"]
    assert client.post("/upload", content=b"x" * 50_000).json() == {"n": 50_000}
    assert client.post("/upload", content=b"x" * 70_000).status_code == 413


def test_body_limit_counts_chunked_bodies(registry: KeyRegistry) -> None:
    client = TestClient(make_app(registry))

    def chunks(n: int):  # no Content-Length: transfer-encoding chunked
        for _ in range(n):
            yield b"y" * 512

    assert client.post("/echo", content=chunks(2)).json() == {"n": 1024}
    assert client.post("/echo", content=chunks(3)).status_code == 413


def test_audit_lines(registry: KeyRegistry, caplog: pytest.LogCaptureFixture) -> None:
    token, record = registry.create("acme", "writer")
    reader, _ = registry.create("acme", "reader")
    client = TestClient(make_app(registry))
    with caplog.at_level(logging.INFO, logger="farpoint.audit"):
        assert client.post(
            "/jobs/j1/cancel", headers={"Authorization": f"Bearer {token}"}
        ).is_success
        assert client.post("/jobs/j2/cancel").status_code == 401
        assert (
            client.post(
                "/jobs/j3/cancel", headers={"Authorization": f"Bearer {reader}"}
            ).status_code
            == 403
        )
        assert client.get("/jobs", headers={"Authorization": f"Bearer {reader}"}).is_success
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "farpoint.audit"]
    assert len(lines) == 3  # GET is not state-changing
    ok, anon, denied = lines
    assert ok["tenant"] == "acme" and ok["key_id"] == record.key_id and ok["role"] == "writer"
    assert ok["action"] == "POST /jobs/{job_id}/cancel" and ok["object"] == "/jobs/j1/cancel"
    assert ok["params"] == {"job_id": "j1"} and ok["object_id"] == "j1"
    assert (ok["status"], ok["outcome"]) == (200, "ok")
    assert anon["tenant"] is None and anon["key_id"] is None and anon["outcome"] == "denied"
    assert denied["status"] == 403 and denied["outcome"] == "denied"
    text = caplog.text
    assert token not in text and reader not in text
    assert token.split("_", 2)[2] not in text


def test_outcomes() -> None:
    assert [outcome_of(s) for s in (200, 201, 404, 413, 429, 503)] == [
        "ok",
        "ok",
        "denied",
        "refused",
        "refused",
        "error",
    ]
