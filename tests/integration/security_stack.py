"""A real gateway for the security tests: uvicorn on loopback over the real S3 and Kafka servers.

The gateway gets its own bucket and topic prefix (no other test sees its tenants), small limits
so the refusals are quick to provoke (2 MiB uploads, 2 concurrent jobs, k <= 1000, 2 s presigned
URLs), and API keys created straight in its registry, as ``farpoint admin keys create`` does.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
import uvicorn

from farpoint.auth import KeyRegistry
from farpoint.settings import KafkaSettings, S3Settings, SecuritySettings, Settings
from farpoint.store import S3Store

LIMITS = SecuritySettings(
    max_upload_bytes=2 * 1024 * 1024,
    max_concurrent_jobs=2,
    max_k=1000,
    presign_expiry_s=2,
    key_cache_s=0,
)


@dataclass
class Stack:
    """The running gateway, its store and key registry, and a few keys."""

    url: str
    store: S3Store
    registry: KeyRegistry
    settings: Settings
    tokens: dict[str, str] = field(default_factory=dict)

    def key(self, tenant: str, role: str) -> dict[str, str]:
        """Authorization headers for a (cached) key of ``tenant`` with ``role``."""
        name = f"{tenant}/{role}"
        if name not in self.tokens:
            self.tokens[name] = self.registry.create(tenant, role, "integration")[0]
        return {"Authorization": f"Bearer {self.tokens[name]}"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_gateway(settings: Settings) -> Iterator[Stack]:
    """A gateway for ``settings`` on a free loopback port, stopped on exit."""
    from farpoint.bus.factory import make_bus
    from farpoint.jobs.events import Topics
    from services.common.context import ServiceContext
    from services.gateway.app import create_app

    store = S3Store.from_settings(settings.s3)
    ctx = ServiceContext(
        settings=settings,
        store=store,
        bus=make_bus("kafka", settings),
        topics=Topics(settings.kafka.topic_prefix),
        max_upload_bytes=settings.security.max_upload_bytes,
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(ctx), host="127.0.0.1", port=port, log_config=None, access_log=False
        )
    )
    thread = threading.Thread(target=server.run, name="gateway", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the gateway did not start (see the log)")
        time.sleep(0.05)
    try:
        yield Stack(f"http://127.0.0.1:{port}", store, KeyRegistry(store), settings)
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def stack_settings(
    s3_settings: S3Settings, kafka_settings: KafkaSettings, limits: SecuritySettings = LIMITS
) -> Settings:
    """Settings of a gateway with its own bucket and topic prefix (no other test sees them)."""
    run = uuid.uuid4().hex[:10]
    return Settings(
        dev_mode=True,
        s3=s3_settings.model_copy(update={"bucket": f"fp-security-{run}"}),
        kafka=kafka_settings.model_copy(update={"topic_prefix": f"fpsec{run}.", "partitions": 1}),
        security=limits,
    )


@pytest.fixture(scope="module")
def stack(s3_settings: S3Settings, kafka_settings: KafkaSettings) -> Iterator[Stack]:
    with serve_gateway(stack_settings(s3_settings, kafka_settings)) as running:
        yield running


def tenant_name(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}"
