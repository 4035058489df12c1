"""FastAPI dependencies on a small real app: 401 with WWW-Authenticate, 403, tenant from key."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from farpoint.auth import Authenticator, KeyRegistry, Principal, Role
from farpoint.auth.dependencies import authenticate, install_auth, require_role
from farpoint.store.local import LocalStore


def make_app(auth: Authenticator | None) -> FastAPI:
    app = FastAPI()
    if auth is not None:
        install_auth(app, auth)

    @app.get("/whoami")
    def whoami(p: Principal = Depends(authenticate)) -> dict[str, str]:  # noqa: B008
        return {"tenant": p.tenant, "role": p.role.value, "key_id": p.key_id}

    @app.post("/jobs")
    def create(p: Principal = Depends(require_role(Role.WRITER))) -> dict[str, str]:  # noqa: B008
        return {"tenant": p.tenant}

    @app.delete("/keys")
    def admin_only(p: Principal = Depends(require_role("admin"))) -> dict[str, str]:  # noqa: B008
        return {"ok": p.key_id}

    return app


@pytest.fixture
def registry(tmp_path: Path) -> KeyRegistry:
    return KeyRegistry(LocalStore(tmp_path))


@pytest.fixture
def client(registry: KeyRegistry) -> TestClient:
    return TestClient(make_app(Authenticator(registry, cache_s=0)))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_missing_and_bad_keys_are_401_with_challenge(
    client: TestClient, registry: KeyRegistry
) -> None:
    token, record = registry.create("acme", "admin")
    bad_secret = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    cases = [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": token},
        bearer("garbage"),
        bearer(bad_secret),
    ]
    for headers in cases:
        r = client.get("/whoami", headers=headers)
        assert r.status_code == 401, headers
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert token not in r.text
    registry.revoke(record.key_id)
    assert client.get("/whoami", headers=bearer(token)).status_code == 401


def test_tenant_and_role_come_from_the_key(client: TestClient, registry: KeyRegistry) -> None:
    token, record = registry.create("globex", "reader")
    r = client.get("/whoami", headers=bearer(token))
    assert r.status_code == 200
    assert r.json() == {"tenant": "globex", "role": "reader", "key_id": record.key_id}


def test_roles_are_enforced_with_403(client: TestClient, registry: KeyRegistry) -> None:
    reader, _ = registry.create("acme", "reader")
    writer, _ = registry.create("acme", "writer")
    admin, _ = registry.create("acme", "admin")
    assert client.post("/jobs", headers=bearer(reader)).status_code == 403
    assert "reader" in client.post("/jobs", headers=bearer(reader)).json()["detail"]
    assert client.post("/jobs", headers=bearer(writer)).json() == {"tenant": "acme"}
    assert client.post("/jobs", headers=bearer(admin)).status_code == 200
    assert client.delete("/keys", headers=bearer(writer)).status_code == 403
    assert client.delete("/keys", headers=bearer(admin)).status_code == 200
    assert client.post("/jobs").status_code == 401  # 401 comes before 403


def test_unconfigured_app_fails_closed() -> None:
    r = TestClient(make_app(None)).get("/whoami")
    assert r.status_code == 503


def test_disabled_auth_serves_the_default_tenant() -> None:
    client = TestClient(make_app(Authenticator(None, enabled=False, default_tenant="default")))
    assert client.post("/jobs").json() == {"tenant": "default"}


def test_openapi_declares_bearer_security(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert any(s.get("scheme", "").lower() == "bearer" for s in schemes.values())
