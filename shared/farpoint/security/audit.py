"""The audit log: one JSON line per state-changing request on logger ``farpoint.audit``.

Each line holds the time, tenant, key id, role, action (method and route template, e.g. ``POST
/v1/jobs``), object (the path and its parameters, e.g. the job id), HTTP status and outcome
(``ok``, ``denied`` for 401/403/404, ``refused`` for other 4xx, ``error`` for 5xx). It never holds
the API key, headers, query strings or bodies. A route that creates something may set
``request.state.audit_object`` to the new id; it is logged as ``object_id``.
:class:`AuditMiddleware` writes the lines for a FastAPI app (the principal comes from
``request.state.principal``, set by :func:`farpoint.auth.dependencies.authenticate`);
:func:`audit_event` writes one by hand (the admin command uses it for key changes).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

audit_log = logging.getLogger("farpoint.audit")

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def outcome_of(status: int) -> str:
    if status < 400:
        return "ok"
    if status in (401, 403, 404):
        return "denied"
    if status < 500:
        return "refused"
    return "error"


def audit_event(
    *,
    tenant: str | None,
    key_id: str | None,
    action: str,
    object: str,
    outcome: str,
    **extra: Any,
) -> dict[str, Any]:
    """Log one audit line and return it (as a dict)."""
    line: dict[str, Any] = {
        "ts": round(time.time(), 3),
        "tenant": tenant,
        "key_id": key_id,
        "action": action,
        "object": object,
        "outcome": outcome,
    }
    line.update(extra)
    audit_log.info(json.dumps(line, sort_keys=True, default=str))
    return line


class AuditMiddleware:
    """``app.add_middleware(AuditMiddleware)``: audits every POST/PUT/PATCH/DELETE."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") not in STATE_CHANGING:
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})
        status = 500

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        finally:
            self._write(scope, status)

    @staticmethod
    def _write(scope: dict[str, Any], status: int) -> None:
        state = scope.get("state") or {}
        principal = state.get("principal") if isinstance(state, dict) else None
        route = scope.get("route")
        template = getattr(route, "path", None) or scope.get("path", "")
        params = {k: str(v) for k, v in (scope.get("path_params") or {}).items()}
        extra = {}
        if isinstance(state, dict) and state.get("audit_object"):
            extra["object_id"] = str(state["audit_object"])  # e.g. the id a POST created
        audit_event(
            tenant=getattr(principal, "tenant", None),
            key_id=getattr(principal, "key_id", None),
            role=getattr(getattr(principal, "role", None), "value", None),
            action=f"{scope.get('method')} {template}",
            object=scope.get("path", ""),
            params=params,
            status=status,
            outcome=outcome_of(status),
            **extra,
        )
