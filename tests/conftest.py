"""Shared fixtures: where the real Kafka and S3 servers are, and unique names per test.

The servers' addresses come from the same ``FARPOINT_*`` variables the services read
(``FARPOINT_KAFKA__BOOTSTRAP``, ``FARPOINT_S3__ENDPOINT``, ``FARPOINT_S3__ACCESS_KEY``, ...).
``scripts/test.sh`` exports them from ``infra/.state/env`` (written by ``infra/up.sh``); when
pytest runs on its own and they are unset, that file is read here too.

A server that does not answer makes its integration tests *skip* with the reason, unless
``FARPOINT_REQUIRE_INFRA=1`` (set by ``make test`` / ``.ci/run``), where it makes them *fail*:
CI must never pass by skipping the real-server tests. Under that variable *every* skip, wherever
it comes from, is reported as a failure with its reason (:func:`pytest_runtest_makereport`).
"""

from __future__ import annotations

import os
import shlex
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from farpoint.settings import KafkaSettings, S3Settings, Settings
from tests.require import required, unavailable
from tests.settings_env import settings_with_env

ROOT = Path(__file__).resolve().parents[1]
STATE_ENV = ROOT / "infra" / ".state" / "env"


def _state_env() -> dict[str, str]:
    """``export K=V`` lines of infra/.state/env (empty when absent)."""
    out: dict[str, str] = {}
    if not STATE_ENV.is_file():
        return out
    for line in STATE_ENV.read_text().splitlines():
        parts = shlex.split(line, comments=True)
        if len(parts) == 2 and parts[0] == "export" and "=" in parts[1]:
            key, _, value = parts[1].partition("=")
            out[key] = value
    return out


def _infra_settings() -> Settings:
    return settings_with_env({k: v for k, v in _state_env().items() if k not in os.environ})


def _reachable(address: str, timeout_s: float = 2.0) -> bool:
    host, _, port = address.split(",")[0].rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout_s):
            return True
    except (OSError, ValueError):
        return False


def _unavailable(what: str, address: str) -> None:
    unavailable(
        f"{what} not reachable at {address}; start it with `make up` (or `bash infra/up.sh`), "
        "or point FARPOINT_* variables at one (docs/infrastructure.md)"
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under ``FARPOINT_REQUIRE_INFRA=1`` a skipped test (any skip: a marker, a helper, a
    plugin) is a failure that keeps the skip's reason; expected failures (xfail) stay."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail") and required():
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"FARPOINT_REQUIRE_INFRA=1 forbids skipping: {reason}"


@pytest.fixture(scope="session")
def infra_settings() -> Settings:
    """Settings from the environment, falling back to infra/.state/env."""
    return _infra_settings()


@pytest.fixture(scope="session")
def kafka_settings(infra_settings: Settings) -> KafkaSettings:
    """Settings of a reachable Kafka broker (skip or fail when there is none)."""
    kafka = infra_settings.kafka
    if not _reachable(kafka.bootstrap):
        _unavailable("Kafka", kafka.bootstrap)
    return kafka


@pytest.fixture(scope="session")
def s3_settings(infra_settings: Settings) -> S3Settings:
    """Settings of a reachable S3 server (skip or fail when there is none)."""
    s3 = infra_settings.s3
    if not _reachable(s3.endpoint):
        _unavailable("S3 server", s3.endpoint)
    return s3


@pytest.fixture(scope="session")
def database_url(infra_settings: Settings) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test session on the records server
    (``FARPOINT_DATABASE__URL``; skip or fail when there is none); dropped afterwards."""
    from sqlalchemy import create_engine, make_url, text

    url = infra_settings.database.url
    if url is None:
        _unavailable("PostgreSQL", "FARPOINT_DATABASE__URL (unset)")
        raise AssertionError("unreachable")
    base = make_url(url.get_secret_value())
    if not _reachable(f"{base.host or '127.0.0.1'}:{base.port or 5432}"):
        _unavailable("PostgreSQL", f"{base.host}:{base.port}")
    name = f"farpoint_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def unique_name(request: pytest.FixtureRequest) -> str:
    """A name no other test (or earlier run against the same servers) uses: topics, prefixes."""
    base = "".join(c if c.isalnum() else "-" for c in request.node.name.lower())[:40].strip("-")
    return f"t-{base}-{uuid.uuid4().hex[:8]}"
