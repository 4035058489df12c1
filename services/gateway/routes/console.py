"""``/console``: the web console, plain HTML + ES modules served by the gateway (no build step,
nothing from a CDN; docs/console.md).

The page carries no data and needs no key: the user pastes an API key, the browser keeps it in
``sessionStorage`` only and sends it as ``Authorization: Bearer`` on every ``fetch`` to the
REST API (the same routes, roles and tenants as any client). Uploads go straight to the store
through the presigned-upload routes. The files live in ``services/gateway/console/``; they are
not part of the OpenAPI.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path as FsPath
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from fastapi.responses import FileResponse, RedirectResponse

ROOT = FsPath(__file__).resolve().parents[1] / "console"
STATIC = ROOT / "static"

# Only this origin's scripts and styles; frames come from the store's presigned URLs (any
# origin) or as blob: URLs, uploads PUT to the store's presigned URL.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' blob: data: http: https:; connect-src 'self' http: https:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

router = APIRouter(include_in_schema=False)


@router.get("/console")
def console_redirect() -> RedirectResponse:
    return RedirectResponse("/console/", status_code=307)


@router.get("/console/")
def console_index() -> FileResponse:
    """The single page; routes after ``#`` are drawn by static/app.js."""
    return FileResponse(ROOT / "index.html", media_type="text/html", headers=HEADERS)


@router.get("/console/static/{name:path}")
def console_static(name: Annotated[str, Path(max_length=200)]) -> FileResponse:
    """A file under console/static/ (never outside it)."""
    path = (STATIC / name).resolve()
    if not path.is_relative_to(STATIC) or not path.is_file():
        raise HTTPException(404, f"no console file {name!r}")
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.suffix == ".js":
        media_type = "text/javascript"
    return FileResponse(path, media_type=media_type, headers=HEADERS)
