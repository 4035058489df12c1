"""The ingest service's FastAPI app: its worker plus /healthz, /readyz, /metrics."""

from __future__ import annotations

from fastapi import FastAPI

from services.common.context import ServiceContext
from services.common.worker_app import make_worker_app
from services.ingest.handler import SERVICE, make_handler, topics


def create_app(ctx: ServiceContext) -> FastAPI:
    return make_worker_app(ctx, SERVICE, topics(ctx), make_handler(ctx))
