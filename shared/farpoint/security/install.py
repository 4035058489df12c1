"""One call that puts the REST guards on a FastAPI app (the gateway calls it in ``create_app``).

``secure_app(app, store, settings.security)`` installs API-key authentication (registry in
``store``), the key-management routes (``/v1/keys``), the request-body limit (uploads under
``upload_paths`` get ``upload_limit``) and the audit middleware. Routes then take the caller's
tenant and role from :func:`farpoint.auth.dependencies.require_role`.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import FastAPI

from farpoint.auth.authenticator import Authenticator
from farpoint.auth.dependencies import install_auth
from farpoint.auth.registry import KeyRegistry
from farpoint.auth.routes import keys_router
from farpoint.security.audit import AuditMiddleware
from farpoint.security.body_limit import BodySizeLimitMiddleware
from farpoint.security.responses import error_responses
from farpoint.settings import SecuritySettings
from farpoint.store.base import Store

MULTIPART_SLACK = 1024 * 1024  # form boundaries and headers around an upload's bytes


def secure_app(
    app: FastAPI,
    store: Store,
    security: SecuritySettings,
    *,
    upload_limit: int | None = None,
    upload_paths: Iterable[str] = ("/v1/media",),
) -> Authenticator:
    """Install authentication, key routes, body limits and auditing on ``app``."""
    authenticator = Authenticator(
        KeyRegistry(store) if security.auth_enabled else None,
        enabled=security.auth_enabled,
        default_tenant=security.default_tenant,
        cache_s=security.key_cache_s,
    )
    install_auth(app, authenticator)
    if security.auth_enabled:
        # an admin route: a bad key, a lower role, a body over the limit, the store down, a bad
        # body; an unknown (or malformed, or another tenant's) key id is 404
        app.include_router(
            keys_router(), responses=error_responses(400, 401, 403, 404, 413, 422, 503)
        )
    limit = (upload_limit or security.max_upload_bytes) + MULTIPART_SLACK
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=security.max_request_bytes,
        large={p: limit for p in upload_paths},
    )
    app.add_middleware(AuditMiddleware)
    return authenticator
