"""Trace ids carried in message headers, so one request can be followed across services.

Every message a bus publishes carries a ``trace-id`` header: the caller's, if it passed one, else
a fresh random id. Workers copy it onto whatever they publish next (including dead letters).
"""

from __future__ import annotations

import uuid

TRACE_HEADER = "trace-id"


def new_trace_id() -> str:
    """A fresh 128-bit trace id as 32 hex characters (W3C trace-context sized)."""
    return uuid.uuid4().hex


def with_trace(headers: dict[str, str] | None) -> dict[str, str]:
    """A copy of ``headers`` that carries a trace id (kept if present, else new)."""
    out = dict(headers or {})
    if not out.get(TRACE_HEADER):
        out[TRACE_HEADER] = new_trace_id()
    return out
