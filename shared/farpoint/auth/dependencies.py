"""FastAPI dependencies: :func:`authenticate` (bearer key -> Principal) and :func:`require_role`.

Wire-up, once per app::

    install_auth(app, Authenticator(KeyRegistry(store), enabled=..., default_tenant=...))

    @app.post("/v1/jobs")
    def create_job(..., principal: Principal = Depends(require_role(Role.WRITER))): ...

A missing, malformed, unknown or revoked key answers 401 with ``WWW-Authenticate: Bearer``; a
valid key whose role is too low answers 403. The principal is also left on
``request.state.principal`` for the audit middleware (:mod:`farpoint.security.audit`).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from farpoint.auth.authenticator import Authenticator
from farpoint.auth.principal import Principal, Role
from farpoint.security.errors import UnauthorizedError

STATE_ATTR = "farpoint_authenticator"
_AUTH_HEADERS = {"WWW-Authenticate": 'Bearer realm="farpoint"'}

# auto_error=False: we answer 401 (not FastAPI's 403) ourselves; the scheme still shows in OpenAPI.
bearer_scheme = HTTPBearer(
    auto_error=False, description="An API key from `farpoint admin keys create`."
)


def install_auth(app: FastAPI, authenticator: Authenticator) -> None:
    """Make ``authenticator`` the one :func:`authenticate` uses for ``app``."""
    setattr(app.state, STATE_ATTR, authenticator)


def get_authenticator(request: Request) -> Authenticator:
    authenticator = getattr(request.app.state, STATE_ATTR, None)
    if authenticator is None:  # fail closed: a service without auth wiring serves nobody
        raise HTTPException(503, "authentication is not configured on this service")
    return authenticator  # type: ignore[no-any-return]


def authenticate(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),  # noqa: B008
) -> Principal:
    """The request's :class:`Principal`, or 401."""
    authenticator = get_authenticator(request)
    token = credentials.credentials if credentials is not None else None
    if token is None and authenticator.enabled and request.headers.get("authorization"):
        raise HTTPException(
            401, "malformed Authorization header: use 'Bearer <key>'", _AUTH_HEADERS
        )
    try:
        principal = authenticator.authenticate(token)
    except UnauthorizedError as exc:
        raise HTTPException(401, exc.message, _AUTH_HEADERS) from None
    request.state.principal = principal
    return principal


def require_role(role: Role | str) -> Callable[..., Principal]:
    """A dependency that authenticates and then demands ``role`` or above (else 403)."""
    needed = Role(role)

    def dependency(principal: Principal = Depends(authenticate)) -> Principal:  # noqa: B008
        if not principal.allows(needed):
            raise HTTPException(
                403,
                f"this API key's role '{principal.role.value}' cannot do this "
                f"(needs '{needed.value}' or above)",
            )
        return principal

    dependency.__name__ = f"require_{needed.value}"
    return dependency
