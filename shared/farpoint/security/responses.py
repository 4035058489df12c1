"""The REST API's one error envelope: ``{"error": {"status", "code", "message"}}``.

Every refusal of the gateway — a :class:`~farpoint.errors.FarpointError`, a validation error,
an authentication failure, a body over its limit (answered by the ASGI middleware before the
app runs) — is this body. :func:`error_body` builds it, :class:`ErrorOut` is its schema in
OpenAPI, and :func:`error_responses` documents a route's refusals by status code, so the schema
clients generate code from lists every status a route can answer (RFC 9110 reasons).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from farpoint.errors import FarpointError

# what each refusal means, as the OpenAPI "description" of the response
REASONS: dict[int, str] = {
    400: "the body could not be parsed (not JSON, not UTF-8, broken multipart)",
    401: "missing, malformed, unknown or revoked API key (with `WWW-Authenticate: Bearer`)",
    403: "the API key's role does not allow this",
    404: "no such object for the caller's tenant (another tenant's ids are not found either)",
    409: "the object is not in a state that allows this yet (e.g. a job's result before it ends)",
    413: "the request body or upload is over its size limit",
    415: "the uploaded bytes are not an allowed media kind (sniffed from content, not the name)",
    422: "the request is malformed: a parameter or body field is invalid",
    429: "the tenant already runs its quota of jobs",
    503: "a dependency (object store, message bus) is unavailable: retry later",
}


class ErrorDetail(BaseModel):
    status: int = Field(description="the HTTP status, repeated")
    code: str = Field(description="a short machine-readable name, e.g. `notfound`, `validation`")
    message: str = Field(description="one line saying what was wrong")


class ErrorOut(BaseModel):
    """The body of every 4xx/5xx answer."""

    error: ErrorDetail


def error_body(status: int, code: str, message: str) -> dict[str, Any]:
    """The envelope as a JSON-ready dict."""
    return {"error": {"status": status, "code": code, "message": message}}


def error_code(exc: FarpointError) -> str:
    """``NotFoundError`` -> ``notfound``: the envelope's ``code`` for a farpoint error."""
    return type(exc).__name__.removesuffix("Error").lower() or "error"


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for ``statuses``, each with :class:`ErrorOut` and its reason."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        response: dict[str, Any] = {"model": ErrorOut, "description": REASONS[status]}
        if status == 401:
            response["headers"] = {
                "WWW-Authenticate": {
                    "description": "how to authenticate: `Bearer`",
                    "schema": {"type": "string"},
                }
            }
        out[status] = response
    return out
