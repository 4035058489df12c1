"""A private stack for fault tests: its own Kafka, S3 server (SeaweedFS) and PostgreSQL, started
by infra/up.sh on ports of their own (never the shared servers other tests use), which the tests
stop, restart and kill; plus helpers to call the gateway as a tenant.

Restarts keep each server's data: Kafka and SeaweedFS are started again with the very command
line up.sh gave them (up.sh itself would format fresh data dirs), PostgreSQL with ``pg_ctl``.
"""

from __future__ import annotations

import glob
import os
import random
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from farpoint.auth import KeyRegistry
from farpoint.store.s3 import S3Store
from tests.e2e.system import System

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
QUOTA = 12  # active jobs per tenant on the private stack


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ports(n: int, grpc_offset: int, tries: int = 200) -> list[int]:
    """``n`` distinct free ports P in 20000-29999 whose P + ``grpc_offset`` is free too."""
    got: list[int] = []
    for _ in range(tries):
        p = random.randint(20000, 29999)
        if p in got or not (_port_free(p) and _port_free(p + grpc_offset)):
            continue
        got.append(p)
        if len(got) == n:
            return got
    raise RuntimeError(f"no {n} free port pairs found")


def _wait(what: str, ok: Any, timeout_s: float, pause_s: float = 0.3) -> None:
    deadline = time.monotonic() + timeout_s
    while not ok():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not within {timeout_s:.0f}s")
        time.sleep(pause_s)


class PrivateInfra:
    """Kafka + S3 + PostgreSQL of this test session alone (``up()``, restarts, ``down()``)."""

    GRPC_OFFSET = 10000

    def __init__(self) -> None:
        # Under infra/.state/run: the PostgreSQL server (run as user postgres when we are root)
        # must be able to reach its data dir, which a 0700 pytest temp dir would forbid.
        self.dir = ROOT / "infra" / ".state" / "run" / f"faults-{uuid.uuid4().hex[:8]}"
        self.state = self.dir / "state"
        self.run_dir = self.dir / "run"
        kafka, ctrl, s3, master, volume, filer, admin, pg = _ports(8, self.GRPC_OFFSET)
        self.kafka_port, self.s3_port, self.pg_port = kafka, s3, pg
        self.up_env = {
            **os.environ,
            "FARPOINT_KAFKA_PORT": str(kafka),
            "FARPOINT_KAFKA_CONTROLLER_PORT": str(ctrl),
            "FARPOINT_S3_PORT": str(s3),
            "FARPOINT_S3_MASTER_PORT": str(master),
            "FARPOINT_S3_VOLUME_PORT": str(volume),
            "FARPOINT_S3_FILER_PORT": str(filer),
            "FARPOINT_S3_ADMIN_PORT": str(admin),
            "FARPOINT_S3_GRPC_OFFSET": str(self.GRPC_OFFSET),
            "FARPOINT_S3_MAX_VOLUMES": "200",
            "FARPOINT_KAFKA_HEAP": "512m",
            "FARPOINT_PG_PORT": str(pg),
            "FARPOINT_INFRA_STATE": str(self.state),
            "FARPOINT_INFRA_RUN_DIR": str(self.run_dir),
            "FARPOINT_INFRA_TIMEOUT": "240",
        }
        self.children: list[subprocess.Popen[bytes]] = []  # servers restarted by us
        self.env: dict[str, str] = {}

    # -- lifecycle ----------------------------------------------------------------------------
    def up(self) -> dict[str, str]:
        """Start the three servers; the ``FARPOINT_*`` variables that point at them."""
        subprocess.run(
            ["bash", str(ROOT / "infra" / "up.sh"), "kafka", "s3", "postgres"],
            env=self.up_env,
            check=True,
            timeout=600,
        )
        for line in (self.state / "env").read_text().splitlines():
            parts = shlex.split(line, comments=True)
            if len(parts) == 2 and parts[0] == "export":
                key, _, value = parts[1].partition("=")
                self.env[key] = value
        return self.env

    def down(self) -> None:
        """Stop everything this stack started (also what the tests restarted); remove its dirs."""
        try:
            try:
                self._pg_ctl("stop", "-m", "immediate", check=False)
            except (RuntimeError, subprocess.TimeoutExpired):
                pass  # no server binaries (up.sh failed) or it would not stop: down.sh next
            subprocess.run(
                ["bash", str(ROOT / "infra" / "down.sh"), "kafka", "s3"],
                env={**self.up_env, "FARPOINT_INFRA_STOP_TIMEOUT": "10"},
                timeout=120,
                check=False,
            )
        finally:
            for child in self.children:
                if child.poll() is None:
                    child.kill()
                child.wait(10)
            pg = self.run_dir / "postgres"
            if pg.is_symlink():  # up.sh keeps PostgreSQL's files under /tmp when run as root
                shutil.rmtree(pg.resolve(), ignore_errors=True)
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- Kafka and S3: stop and start again with the same command line ------------------------
    def _pid(self, name: str) -> int:
        return int((self.state / f"{name}.pid").read_text().strip())

    def _stop(self, name: str) -> list[str]:
        """SIGTERM the server ``name`` (kafka, s3), wait for it to exit; its command line."""
        pid = self._pid(name)
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
        os.kill(pid, signal.SIGTERM)
        try:
            _wait(f"{name} exit", lambda: not Path(f"/proc/{pid}").exists() or _zombie(pid), 60)
        except TimeoutError:
            os.kill(pid, signal.SIGKILL)
            _wait(f"{name} exit after SIGKILL", lambda: not Path(f"/proc/{pid}").exists(), 20)
        for child in self.children:  # reap it when it was one of ours
            if child.pid == pid:
                child.wait(10)
        return [c.decode() for c in cmd]

    def _start(self, name: str, cmd: list[str]) -> None:
        log = (self.state / f"{name}.log").open("ab")
        child = subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        self.children.append(child)
        (self.state / f"{name}.pid").write_text(f"{child.pid}\n")

    def _probe(self, kind: str, port: int) -> bool:
        env = {**self.up_env, **self.env}
        probe = [PY, str(ROOT / "infra" / "probe.py"), kind, f"127.0.0.1:{port}"]
        return subprocess.run(probe, env=env, capture_output=True, timeout=60).returncode == 0

    def stop_kafka(self) -> list[str]:
        return self._stop("kafka")

    def start_kafka(self, cmd: list[str]) -> None:
        self._start("kafka", cmd)
        _wait("Kafka back", lambda: self._probe("kafka", self.kafka_port), 180, 1.0)

    def stop_s3(self) -> list[str]:
        return self._stop("s3")

    def start_s3(self, cmd: list[str]) -> None:
        self._start("s3", cmd)
        _wait("S3 back", lambda: self._probe("s3", self.s3_port), 180, 1.0)

    # -- PostgreSQL ---------------------------------------------------------------------------
    def _pg_ctl(self, *args: str, check: bool = True) -> None:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not bins:
            raise RuntimeError("PostgreSQL server binaries missing (infra/up.sh installs them)")
        as_owner = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]
        as_owner = as_owner if os.geteuid() == 0 else []
        data = (self.run_dir / "postgres").resolve() / "data"  # up.sh may link it under /tmp
        subprocess.run(
            [*as_owner, bins[-1], "-D", str(data), *args],
            check=check,
            capture_output=True,
            timeout=120,
        )

    def restart_postgres(self) -> None:
        """``pg_ctl stop -m fast`` then start again on the same port and data."""
        self._pg_ctl("stop", "-m", "fast")
        sock = (self.run_dir / "postgres").resolve() / "sock"
        opts = f"-p {self.pg_port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={sock}"
        log = (self.run_dir / "postgres").resolve() / "restart.log"
        self._pg_ctl("start", "-w", "-t", "120", "-o", opts, "-l", str(log))


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return True


class Tenant:
    """REST calls to the gateway with one tenant's API key."""

    def __init__(self, url: Any, token: str) -> None:
        self.url = url  # a callable returning the gateway's current URL (it moves on restart)
        self.headers = {"Authorization": f"Bearer {token}"}

    def _call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return httpx.request(method, self.url() + path, headers=self.headers, timeout=60, **kw)

    def upload(self, path: Path) -> str:
        with path.open("rb") as f:
            r = self._call(
                "POST", "/v1/media", files={"file": (path.name, f, "application/octet-stream")}
            )
        r.raise_for_status()
        return str(r.json()["id"])

    def submit(self, body: dict[str, Any]) -> httpx.Response:
        return self._call("POST", "/v1/jobs", json=body)

    def status(self, job_id: str) -> dict[str, Any] | None:
        """The job's status, or None while the gateway (or what it asks) is unreachable."""
        try:
            r = self._call("GET", f"/v1/jobs/{job_id}")
        except httpx.HTTPError:
            return None
        if r.status_code >= 500:
            return None
        r.raise_for_status()
        return r.json()  # type: ignore[no-any-return]

    def wait(self, job_id: str, timeout_s: float) -> dict[str, Any]:
        """The job's final status; TimeoutError (a stuck job) after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        st: dict[str, Any] | None = None
        while time.monotonic() < deadline:
            st = self.status(job_id)
            if st is not None and st["status"] in ("succeeded", "failed"):
                return st
            time.sleep(0.3)
        raise TimeoutError(f"job {job_id} stuck: not ended after {timeout_s:.0f}s: {st}")

    def result(self, job_id: str) -> dict[str, Any]:
        r = self._call("GET", f"/v1/jobs/{job_id}/result")
        r.raise_for_status()
        return r.json()  # type: ignore[no-any-return]


@dataclass
class Stack:
    """The private servers, the services on them, their bucket, and tenants with API keys."""

    infra: PrivateInfra
    system: System
    store: S3Store
    tokens: dict[str, str] = field(default_factory=dict)

    def tenant(self, name: str) -> Tenant:
        if name not in self.tokens:
            self.tokens[name] = KeyRegistry(self.store).create(name, "writer", "faults")[0]
        return Tenant(lambda: self.system.gateway_url, self.tokens[name])
