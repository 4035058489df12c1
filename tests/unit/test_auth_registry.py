"""The key registry over a real LocalStore: create, verify, list, revoke, rotate-by-create."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from farpoint.auth import Authenticator, KeyRegistry, Role
from farpoint.errors import InputError, NotFoundError
from farpoint.security.errors import UnauthorizedError
from farpoint.store.local import LocalStore


@pytest.fixture
def registry(tmp_path: Path) -> KeyRegistry:
    return KeyRegistry(LocalStore(tmp_path / "store"))


def test_create_stores_only_a_hash(registry: KeyRegistry, tmp_path: Path) -> None:
    token, record = registry.create("acme", "writer", "ci")
    path = tmp_path / "store" / "auth" / "keys" / f"{record.key_id}.json"
    raw = path.read_text()
    secret = token.split("_", 2)[2]
    assert secret not in raw and token not in raw
    data = json.loads(raw)
    assert data["tenant"] == "acme" and data["role"] == "writer" and data["revoked_at"] is None
    assert set(record.public()) >= {"key_id", "tenant", "role", "active"}
    assert "hash" not in record.public() and "salt" not in record.public()


def test_verify_returns_the_keys_principal(registry: KeyRegistry) -> None:
    token, record = registry.create("acme", Role.READER)
    principal = registry.verify(token)
    assert principal is not None
    assert (principal.tenant, principal.role, principal.key_id) == (
        "acme",
        Role.READER,
        record.key_id,
    )


def test_verify_refuses_wrong_secret_unknown_id_and_garbage(registry: KeyRegistry) -> None:
    token, record = registry.create("acme", "admin")
    prefix, key_id, secret = token.split("_", 2)
    flipped = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert registry.verify(f"{prefix}_{key_id}_{flipped}") is None
    assert registry.verify(f"{prefix}_{'0' * 16}_{secret}") is None
    assert registry.verify("not a key") is None
    assert registry.verify("") is None


def test_revoke_and_list(registry: KeyRegistry) -> None:
    t1, r1 = registry.create("acme", "writer")
    _, r2 = registry.create("globex", "reader")
    _, r3 = registry.create("acme", "admin")
    assert [r.key_id for r in registry.list()] == [r1.key_id, r2.key_id, r3.key_id]
    assert [r.key_id for r in registry.list(tenant="acme")] == [r1.key_id, r3.key_id]
    revoked = registry.revoke(r1.key_id)
    assert not revoked.active and revoked.revoked_at is not None
    assert registry.revoke(r1.key_id).revoked_at == revoked.revoked_at  # idempotent
    assert registry.verify(t1) is None
    assert [r.key_id for r in registry.list(tenant="acme", include_revoked=False)] == [r3.key_id]


def test_errors(registry: KeyRegistry) -> None:
    with pytest.raises(NotFoundError):
        registry.revoke("0123456789abcdef")
    with pytest.raises(InputError, match="invalid key id"):
        registry.get("../../etc/passwd")
    with pytest.raises(InputError, match="invalid tenant"):
        registry.create("Bad/Tenant", "reader")
    with pytest.raises(InputError, match="unknown role"):
        registry.create("acme", "superuser")


def test_authenticator_caches_and_forgets(registry: KeyRegistry) -> None:
    token, record = registry.create("acme", "writer")
    auth = Authenticator(registry, cache_s=60)
    assert auth.authenticate(token).tenant == "acme"
    registry.revoke(record.key_id)
    assert auth.authenticate(token).key_id == record.key_id  # cached within key_cache_s
    auth.forget(record.key_id)
    with pytest.raises(UnauthorizedError):
        auth.authenticate(token)
    with pytest.raises(UnauthorizedError, match="missing"):
        auth.authenticate(None)


def test_authenticator_without_cache_sees_revocation_at_once(registry: KeyRegistry) -> None:
    token, record = registry.create("acme", "writer")
    auth = Authenticator(registry, cache_s=0)
    assert auth.authenticate(token).role is Role.WRITER
    registry.revoke(record.key_id)
    with pytest.raises(UnauthorizedError, match="invalid or revoked"):
        auth.authenticate(token)


def test_disabled_auth_is_the_default_tenants_admin() -> None:
    auth = Authenticator(None, enabled=False, default_tenant="default")
    p = auth.authenticate(None)
    assert (p.tenant, p.role) == ("default", Role.ADMIN)
    with pytest.raises(ValueError):
        Authenticator(None, enabled=True)
