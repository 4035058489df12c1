"""The whole system as separate processes (`farpoint serve NAME`) on the real Kafka and S3.

:class:`System` starts the gateway and every stage service as subprocesses with their own
bucket, topic prefix and records database (so runs never see each other's data: stacks that
shared one records database listed each other's jobs, whose objects are in another bucket), and
can SIGKILL and restart any of them. Used by the end-to-end tests and by bench/bench_system.py.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from farpoint.settings import S3Settings, Settings
from tests.settings_env import settings_with_env

ROOT = Path(__file__).resolve().parents[2]
FARPOINT = str(Path(sys.executable).parent / "farpoint")
STAGES = ("ingest", "embedding", "normalization", "selection", "export")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def settings_env(settings: Settings) -> dict[str, str]:
    """``FARPOINT_*`` variables that point a process at the servers in ``settings``."""
    return {
        "FARPOINT_KAFKA__BOOTSTRAP": settings.kafka.bootstrap,
        "FARPOINT_S3__ENDPOINT": settings.s3.endpoint,
        "FARPOINT_S3__ACCESS_KEY": settings.s3.access_key,
        "FARPOINT_S3__SECRET_KEY": settings.s3.secret_key,
        "FARPOINT_S3__SECURE": str(settings.s3.secure).lower(),
    }


class System:
    def __init__(
        self,
        settings: Settings,
        workdir: Path,
        name: str | None = None,
        partitions: int = 4,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        run = name or f"e2e-{uuid.uuid4().hex[:8]}"
        self.workdir = workdir
        self.bucket = run.lower()[:60]
        self.prefix = f"{run}."
        self.env = dict(os.environ)
        self.env.update(settings_env(settings))
        self.env.update(
            {
                "FARPOINT_S3__BUCKET": self.bucket,
                "FARPOINT_KAFKA__TOPIC_PREFIX": self.prefix,
                "FARPOINT_KAFKA__PARTITIONS": str(partitions),
                "FARPOINT_CACHE_DIR": str(workdir / "cache"),
                "FARPOINT_DEVICE": "cpu",
                "OMP_NUM_THREADS": "1",
                # API keys are tested in tests/integration (security); this is the job flow
                "FARPOINT_SECURITY__AUTH_ENABLED": "false",
            }
        )
        # e.g. a private stack's database URL or timings (tests/faults)
        self.env.update(extra_env or {})
        self.database: str | None = None
        if "FARPOINT_DATABASE__URL" not in (extra_env or {}) and self.env.get(
            "FARPOINT_DATABASE__URL"
        ):
            self._private_database(run)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.ports: dict[str, int] = {}
        self.gateway_url = ""

    def _private_database(self, run: str) -> None:
        """A database of this stack's own on the records server (dropped by :meth:`stop`)."""
        from sqlalchemy import create_engine, make_url, text

        base = make_url(self.env["FARPOINT_DATABASE__URL"])
        name = "farpoint_" + "".join(c if c.isalnum() else "_" for c in run.lower())[:50]
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        self.database = name
        self._admin_url = base
        self.env["FARPOINT_DATABASE__URL"] = base.set(database=name).render_as_string(
            hide_password=False
        )

    def _drop_database(self) -> None:
        if self.database is None:
            return
        from sqlalchemy import create_engine, text

        admin = create_engine(self._admin_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'))
        finally:
            admin.dispose()
        self.database = None

    def settings(self) -> Settings:
        return settings_with_env({k: v for k, v in self.env.items() if k.startswith("FARPOINT_")})

    def start(self, name: str, service: str | None = None, wait: bool = True) -> None:
        """Start service ``service`` (default: ``name``) as process ``name``."""
        service = service or name
        port = free_port()
        log = (self.workdir / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(
            [FARPOINT, "serve", service, "--port", str(port)],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.ports[name] = port
        if service == "gateway":
            self.gateway_url = f"http://127.0.0.1:{port}"
        if wait:
            self.wait_ready(name)

    def wait_ready(self, name: str, timeout_s: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_s
        url = f"http://127.0.0.1:{self.ports[name]}/readyz"
        while time.monotonic() < deadline:
            if self.procs[name].poll() is not None:
                raise RuntimeError(f"{name} exited: {self.log(name)[-3000:]}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{name} not ready after {timeout_s}s: {self.log(name)[-3000:]}")

    def start_all(self, embedding_workers: int = 1, ready_timeout_s: float = 90.0) -> None:
        self.start("gateway", wait=False)
        for stage in STAGES:
            for i in range(embedding_workers if stage == "embedding" else 1):
                self.start(f"{stage}{i or ''}", stage, wait=False)
        for name in self.procs:
            self.wait_ready(name, timeout_s=ready_timeout_s)

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown, nothing committed beyond what the worker had committed."""
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self.procs.clear()
        self._drop_database()  # the stack's private records go with it

    def log(self, name: str) -> str:
        p = self.workdir / f"{name}.log"
        return p.read_text(errors="replace") if p.exists() else ""

    # -- REST helpers ---------------------------------------------------------------------------
    def upload(self, path: Path) -> str:
        with path.open("rb") as f:
            r = httpx.post(
                f"{self.gateway_url}/v1/media",
                files={"file": (path.name, f, "application/octet-stream")},
                timeout=120,
            )
        r.raise_for_status()
        return str(r.json()["id"])

    def submit(self, body: dict[str, Any]) -> str:
        r = httpx.post(f"{self.gateway_url}/v1/jobs", json=body, timeout=30)
        r.raise_for_status()
        return str(r.json()["id"])

    def status(self, job_id: str) -> dict[str, Any]:
        r = httpx.get(f"{self.gateway_url}/v1/jobs/{job_id}", timeout=30)
        r.raise_for_status()
        return r.json()  # type: ignore[no-any-return]

    def wait(self, job_id: str, timeout_s: float = 300.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        st: dict[str, Any] = {}
        while time.monotonic() < deadline:
            try:
                st = self.status(job_id)
            except httpx.HTTPStatusError as exc:
                if exc.response.status_code != 503:  # 503: store or broker hiccup, ask again
                    raise
                st = {"status": "unknown", "error": exc.response.text}
            if st["status"] in ("succeeded", "failed"):
                return st
            time.sleep(0.25)
        raise TimeoutError(f"job {job_id} not done after {timeout_s}s: {st}")

    def result(self, job_id: str) -> dict[str, Any]:
        r = httpx.get(f"{self.gateway_url}/v1/jobs/{job_id}/result", timeout=30)
        r.raise_for_status()
        return r.json()  # type: ignore[no-any-return]


@contextmanager
def running_system(
    settings: Settings,
    workdir: Path,
    configure: Callable[[System], None] | None = None,
    ready_timeout_s: float = 300.0,  # a busy machine imports torch slowly
) -> Iterator[System]:
    """The gateway and every stage as processes, ready; always stopped afterwards (no process
    left behind, even when start-up fails) and its bucket dropped. ``configure`` may set
    ``System.env`` before anything starts."""
    sysm = System(settings, workdir)
    if configure is not None:
        configure(sysm)
    try:
        sysm.start_all(ready_timeout_s=ready_timeout_s)
        yield sysm
    finally:
        sysm.stop()
        drop_bucket(sysm.settings().s3, sysm.bucket)


@contextmanager
def system_on_infra(
    request: pytest.FixtureRequest,
    name: str,
    configure: Callable[[System], None] | None = None,
    *,
    database: bool = False,
) -> Iterator[System]:
    """:func:`running_system` on the session's real servers, in a fresh folder ``name``: the
    fixtures of Kafka and S3 (and, with ``database``, of the records' PostgreSQL) are requested
    first, so a missing server fails (or, outside ``make test``, skips) before anything starts."""
    for fixture in ("kafka_settings", "s3_settings", *(("database_url",) if database else ())):
        request.getfixturevalue(fixture)
    settings: Settings = request.getfixturevalue("infra_settings")
    workdir = request.getfixturevalue("tmp_path_factory").mktemp(name)
    with running_system(settings, workdir, configure) as sysm:
        yield sysm


def drop_bucket(s3: S3Settings, bucket: str) -> None:
    """Delete the run's bucket and everything in it: an S3 server for tests (SeaweedFS) gives
    each bucket volumes of its own, and a bucket left behind by every run exhausts them."""
    from minio import Minio
    from minio.deleteobjects import DeleteObject

    raw = Minio(
        s3.endpoint,
        access_key=s3.access_key,
        secret_key=s3.secret_key,
        secure=s3.secure,
        region=s3.region,
    )
    if not raw.bucket_exists(bucket):
        return
    names = [DeleteObject(o.object_name) for o in raw.list_objects(bucket, recursive=True)]
    for err in raw.remove_objects(bucket, names):
        raise AssertionError(f"could not delete {err.name} from {bucket}: {err.message}")
    raw.remove_bucket(bucket)
