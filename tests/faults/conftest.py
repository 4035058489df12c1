"""One private stack for the whole fault suite (servers and services are slow to start on a
loaded machine): Kafka, S3 and PostgreSQL of its own (tests/faults/stack.py) and every service
as a process (tests/e2e/system.py), with API keys on, so tenants are real."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator

import pytest

from farpoint.store.s3 import S3Store
from tests.e2e.system import System
from tests.faults.stack import QUOTA, PrivateInfra, Stack
from tests.require import unavailable
from tests.settings_env import settings_with_env


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    infra = PrivateInfra()
    system: System | None = None
    try:
        try:
            env = infra.up()
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            unavailable(f"the private servers did not start (infra/up.sh: {exc}); see above")
        settings = settings_with_env(env)
        system = System(
            settings,
            tmp_path_factory.mktemp("faults"),
            name=f"faults-{uuid.uuid4().hex[:8]}",
            partitions=2,
            extra_env={
                "FARPOINT_DATABASE__URL": env["FARPOINT_DATABASE__URL"],
                "FARPOINT_SECURITY__AUTH_ENABLED": "true",
                "FARPOINT_SECURITY__MAX_CONCURRENT_JOBS": str(QUOTA),
                "FARPOINT_JOBS__READINESS_INTERVAL_S": "1",
                "FARPOINT_KAFKA__REQUEST_TIMEOUT_MS": "15000",
            },
        )
        system.start_all()
        store = S3Store.from_settings(system.settings().s3)
        yield Stack(infra, system, store)
    finally:
        if system is not None:
            system.stop()
        infra.down()
