"""The API-key registry: one JSON record per key at ``auth/keys/<keyid>.json`` in the store.

Records hold the key's tenant, role, name, salted scrypt hash and timestamps — never the
secret. The registry lives outside every tenant's ``tenants/<tenant>/`` prefix, so no tenant's
scoped store reaches it. Revoking keeps the record (with ``revoked_at``) for the audit trail.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, replace
from typing import Any

from farpoint.auth import keys as keylib
from farpoint.auth.principal import Principal, Role, check_tenant
from farpoint.errors import InputError, NotFoundError
from farpoint.store.base import Store

log = logging.getLogger(__name__)

KEYS_PREFIX = "auth/keys/"


@dataclass(frozen=True)
class KeyRecord:
    """One API key as stored (no secret)."""

    key_id: str
    tenant: str
    role: str
    name: str
    salt: str
    hash: str
    n: int
    r: int
    p: int
    created_at: float
    revoked_at: float | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def principal(self) -> Principal:
        return Principal(tenant=self.tenant, role=Role(self.role), key_id=self.key_id)

    def public(self) -> dict[str, Any]:
        """The fields safe to show (no salt, no hash)."""
        return {
            "key_id": self.key_id,
            "tenant": self.tenant,
            "role": self.role,
            "name": self.name,
            "created_at": self.created_at,
            "revoked_at": self.revoked_at,
            "active": self.active,
        }

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> KeyRecord:
        return cls(**json.loads(data))


def _record_key(key_id: str) -> str:
    if not keylib.KEY_ID_RE.match(key_id):
        raise InputError(f"invalid key id {key_id!r} (expected 16 hex digits)")
    return f"{KEYS_PREFIX}{key_id}.json"


class KeyRegistry:
    """Create, look up, list, revoke and verify API keys kept in a :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def create(self, tenant: str, role: Role | str, name: str = "") -> tuple[str, KeyRecord]:
        """A new key for ``tenant`` with ``role``: returns (token, record). Show the token once."""
        check_tenant(tenant)
        role = Role.parse(str(role))
        if len(name) > 200:
            raise InputError("key name too long (at most 200 characters)")
        key_id = keylib.new_key_id()
        while self.store.exists(_record_key(key_id)):  # 64 random bits: practically never
            key_id = keylib.new_key_id()
        secret = keylib.new_secret()
        salt = keylib.new_salt()
        record = KeyRecord(
            key_id=key_id,
            tenant=tenant,
            role=role.value,
            name=name,
            salt=salt.hex(),
            hash=keylib.hash_secret(secret, salt).hex(),
            n=keylib.SCRYPT_N,
            r=keylib.SCRYPT_R,
            p=keylib.SCRYPT_P,
            created_at=time.time(),
        )
        self.store.put_bytes(_record_key(key_id), record.to_json(), "application/json")
        log.info("created API key %s (tenant %s, role %s)", key_id, tenant, role.value)
        return keylib.format_token(key_id, secret), record

    def get(self, key_id: str) -> KeyRecord:
        """The record of ``key_id``; NotFoundError if there is none."""
        try:
            data = self.store.get_bytes(_record_key(key_id))
        except NotFoundError:
            raise NotFoundError(f"no API key {key_id!r}") from None
        return KeyRecord.from_json(data)

    def list(self, tenant: str | None = None, include_revoked: bool = True) -> list[KeyRecord]:
        """All key records (of ``tenant`` when given), oldest first."""
        out = []
        for name in self.store.list(KEYS_PREFIX):
            if not name.endswith(".json"):
                continue
            try:
                record = KeyRecord.from_json(self.store.get_bytes(name))
            except (NotFoundError, ValueError, TypeError) as exc:
                log.warning("skipping unreadable key record %s: %s", name, exc)
                continue
            if tenant is not None and record.tenant != tenant:
                continue
            if not include_revoked and not record.active:
                continue
            out.append(record)
        return sorted(out, key=lambda r: (r.created_at, r.key_id))

    def revoke(self, key_id: str) -> KeyRecord:
        """Mark ``key_id`` revoked (idempotent); returns the updated record."""
        record = self.get(key_id)
        if record.active:
            record = replace(record, revoked_at=time.time())
            self.store.put_bytes(_record_key(key_id), record.to_json(), "application/json")
            log.info("revoked API key %s (tenant %s)", key_id, record.tenant)
        return record

    def verify(self, token: str) -> Principal | None:
        """The principal of an active key matching ``token``, else None (unknown, bad, revoked)."""
        parsed = keylib.parse_token(token)
        if parsed is None:
            return None
        try:
            record = self.get(parsed.key_id)
        except NotFoundError:
            # Spend the same work as a real check so timing does not tell which ids exist.
            keylib.hash_secret(parsed.secret, b"\0" * 16)
            return None
        ok = keylib.verify_secret(
            parsed.secret,
            bytes.fromhex(record.salt),
            bytes.fromhex(record.hash),
            n=record.n,
            r=record.r,
            p=record.p,
        )
        if not ok or not record.active:
            return None
        return record.principal()
