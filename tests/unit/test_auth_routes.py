"""REST key management: an admin manages its own tenant's keys only."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from farpoint.auth import Authenticator, KeyRegistry
from farpoint.auth.dependencies import install_auth
from farpoint.auth.routes import keys_router
from farpoint.store.local import LocalStore


def test_admin_manages_own_tenant_keys_only(tmp_path: Path) -> None:
    registry = KeyRegistry(LocalStore(tmp_path))
    app = FastAPI()
    install_auth(app, Authenticator(registry, cache_s=60))
    app.include_router(keys_router())
    client = TestClient(app)
    admin_a, rec_a = registry.create("acme", "admin")
    writer_a, _ = registry.create("acme", "writer")
    admin_b, rec_b = registry.create("globex", "admin")
    h_a = {"Authorization": f"Bearer {admin_a}"}
    h_b = {"Authorization": f"Bearer {admin_b}"}

    assert client.get("/v1/keys").status_code == 401
    assert (
        client.get("/v1/keys", headers={"Authorization": f"Bearer {writer_a}"}).status_code == 403
    )

    bad = {"role": "reader", "tenant": "globex"}
    assert client.post("/v1/keys", headers=h_a, json=bad).status_code == 422
    r = client.post("/v1/keys", headers=h_a, json={"role": "reader", "name": "dash"})
    assert r.status_code == 201
    new = r.json()
    assert new["tenant"] == "acme" and new["role"] == "reader" and new["key"].startswith("fp_")
    assert registry.verify(new["key"]) is not None

    listed = client.get("/v1/keys", headers=h_a).json()["items"]
    assert {k["key_id"] for k in listed} == {rec_a.key_id, new["key_id"]} | {
        r.key_id for r in registry.list(tenant="acme")
    }
    assert all(k["tenant"] == "acme" for k in listed)
    assert all("key" not in k and "hash" not in k for k in listed)

    assert client.delete(f"/v1/keys/{new['key_id']}", headers=h_b).status_code == 404
    assert client.delete("/v1/keys/not-an-id", headers=h_b).status_code == 404
    assert registry.verify(new["key"]) is not None
    r = client.delete(f"/v1/keys/{new['key_id']}", headers=h_a)
    assert r.status_code == 200 and r.json()["active"] is False
    assert registry.verify(new["key"]) is None
    # the revoking replica forgets its cache at once
    assert client.get("/v1/keys", headers=h_a).status_code == 200
    r = client.delete(f"/v1/keys/{rec_a.key_id}", headers=h_a)  # revoke itself
    assert r.status_code == 200
    assert client.get("/v1/keys", headers=h_a).status_code == 401
    assert rec_b.tenant == "globex"
