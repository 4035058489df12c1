"""REST key management for a tenant's admins: ``GET/POST /v1/keys``, ``DELETE /v1/keys/{id}``.

An admin key manages the keys of its own tenant only: another tenant's key id answers 404, as if
it did not exist. The new token is in the 201
answer once and never again. Include with ``app.include_router(keys_router())`` after
:func:`farpoint.auth.dependencies.install_auth`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from farpoint.auth.dependencies import get_authenticator, require_role
from farpoint.auth.principal import Principal, Role
from farpoint.auth.registry import KeyRegistry
from farpoint.errors import InputError, NotFoundError


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # no "tenant": it always comes from the caller

    role: Role
    name: str = Field("", max_length=200)


class KeyOut(BaseModel):
    key_id: str
    tenant: str
    role: str
    name: str
    created_at: float
    revoked_at: float | None
    active: bool


class NewKeyOut(KeyOut):
    key: str = Field(description="the API key; shown only in this answer")


class KeyList(BaseModel):
    items: list[KeyOut]


def _registry(request: Request) -> KeyRegistry:
    registry = get_authenticator(request).registry
    if registry is None:
        raise HTTPException(404, "API keys are switched off on this service")
    return registry


def keys_router(prefix: str = "/v1/keys") -> APIRouter:
    router = APIRouter(prefix=prefix, tags=["keys"])
    admin = Depends(require_role(Role.ADMIN))

    @router.get("", response_model=KeyList)
    def list_keys(request: Request, p: Principal = admin) -> dict[str, Any]:
        """The caller's tenant's keys (never their secrets)."""
        return {"items": [r.public() for r in _registry(request).list(tenant=p.tenant)]}

    @router.post("", response_model=NewKeyOut, status_code=201)
    def create_key(body: KeyIn, request: Request, p: Principal = admin) -> dict[str, Any]:
        """A new key for the caller's tenant (the caller's tenant, never one in the body)."""
        token, record = _registry(request).create(p.tenant, body.role, body.name)
        request.state.audit_object = record.key_id
        return {"key": token, **record.public()}

    @router.delete("/{key_id}", response_model=KeyOut)
    def revoke_key(key_id: str, request: Request, p: Principal = admin) -> dict[str, Any]:
        """Revoke one of the caller's tenant's keys (another tenant's answers 404)."""
        registry = _registry(request)
        try:
            record = registry.get(key_id)
        except (NotFoundError, InputError):  # a malformed id is "not found" too
            record = None
        if record is None or record.tenant != p.tenant:
            raise HTTPException(404, f"no API key {key_id!r}")
        record = registry.revoke(key_id)
        get_authenticator(request).forget(key_id)
        return record.public()

    return router
