"""The gateway's dependencies as ``Annotated`` aliases: a route names what it needs by type.

* :data:`Ctx` — the :class:`~services.common.context.ServiceContext` (store, bus, settings) the
  app was created with; handlers take it, routes pass it on and never touch the store.
* :data:`ReaderTenant` / :data:`WriterTenant` — the caller's tenant from its API key, demanding
  the reader or writer role (401 without a valid key, 403 below the role).
* :data:`Limits` — the security settings, with the upload limit this gateway enforces.
* :data:`MediaId`, :data:`JobId`, :data:`ModelName` — path ids with their real pattern
  (:data:`farpoint.jobs.keys.ID_PATTERN`, the one :func:`~farpoint.jobs.keys.check_id` applies),
  so OpenAPI tells clients what the server accepts.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from farpoint.auth import Principal, Role
from farpoint.auth.dependencies import require_role
from farpoint.jobs.keys import ID_MAX_LENGTH, ID_PATTERN
from farpoint.settings import SecuritySettings
from services.common.context import ServiceContext


def get_ctx(request: Request) -> ServiceContext:
    """The context :func:`services.gateway.app.create_app` put on ``app.state``."""
    ctx: ServiceContext = request.app.state.ctx
    return ctx


Ctx = Annotated[ServiceContext, Depends(get_ctx)]


def get_limits(ctx: Ctx) -> SecuritySettings:
    """The security settings, with ``max_upload_bytes`` set to this gateway's upload limit."""
    return ctx.settings.security.model_copy(update={"max_upload_bytes": ctx.max_upload_bytes})


Limits = Annotated[SecuritySettings, Depends(get_limits)]


def reader_tenant(p: Annotated[Principal, Depends(require_role(Role.READER))]) -> str:
    """The caller's tenant, from its API key (reader or above)."""
    return p.tenant


def writer_tenant(p: Annotated[Principal, Depends(require_role(Role.WRITER))]) -> str:
    """The caller's tenant, for routes that change state (writer or above)."""
    return p.tenant


ReaderTenant = Annotated[str, Depends(reader_tenant)]
WriterTenant = Annotated[str, Depends(writer_tenant)]


def _id(what: str) -> object:
    return Path(
        pattern=ID_PATTERN,
        min_length=1,
        max_length=ID_MAX_LENGTH,
        description=f"the {what}: letters, digits, '_', '.', '-' (no '..')",
    )


MediaId = Annotated[str, _id("media id")]
JobId = Annotated[str, _id("job id")]
ModelName = Annotated[str, _id("model name")]
