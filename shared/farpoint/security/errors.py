"""The refusals of the REST service, as members of farpoint's one error tree (farpoint.errors).

Each carries the HTTP status the gateway answers with and a one-line reason; none is retryable.
Authentication failures (401) also tell the client how to authenticate (``WWW-Authenticate``).
"""

from __future__ import annotations

from farpoint.errors import FarpointError, InputError


class UnauthorizedError(FarpointError):
    """No API key, a malformed one, an unknown one or a revoked one."""

    exit_code = 4
    http_status = 401
    headers = {"WWW-Authenticate": 'Bearer realm="farpoint"'}


class ForbiddenError(FarpointError):
    """The key is valid but its role does not allow the action."""

    exit_code = 4
    http_status = 403


class PayloadTooLargeError(InputError):
    """An upload or request body over its configured size limit."""

    http_status = 413


class UnsupportedMediaError(InputError):
    """Uploaded bytes that are not an allowed media kind (sniffed from content, not the name)."""

    http_status = 415


class QuotaExceededError(FarpointError):
    """A tenant asked for more than its quota (concurrent jobs, k)."""

    exit_code = 2
    http_status = 429
