"""PostgreSQL restarts under the records: a private server (infra/up.sh on a port of its own) is
restarted with ``pg_ctl restart -m fast`` while records are in use. Calls during the restart are
``TransientError`` (retried by the worker, never a failed job); afterwards the same engine works
again and nothing written before the restart is lost."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from farpoint.errors import TransientError
from farpoint.records.sql import SqlRecords

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[tuple[str, Path, list[str]]]:
    """(url, data dir, command prefix to act as the server's user) of a private server."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not bins:
        pytest.fail("PostgreSQL server binaries missing (infra/up.sh postgres installs them)")
    port = _free_port()
    run_dir = ROOT / "infra" / ".state" / "run" / f"pgtest-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "FARPOINT_PG_PORT": str(port),
        "FARPOINT_INFRA_STATE": str(tmp_path / "state"),
        "FARPOINT_INFRA_RUN_DIR": str(run_dir),
    }
    subprocess.run(["bash", str(ROOT / "infra" / "up.sh"), "postgres"], env=env, check=True)
    as_owner = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]
    as_owner = as_owner if os.geteuid() == 0 else []
    pg_dir = (run_dir / "postgres").resolve()  # up.sh may keep it under /tmp (as root)
    data = pg_dir / "data"
    url = f"postgresql+psycopg://farpoint:farpoint-dev-secret@127.0.0.1:{port}/farpoint"
    try:
        yield url, data, [*as_owner, bins[-1]]
    finally:
        subprocess.run(
            [*as_owner, bins[-1], "-D", str(data), "stop", "-m", "immediate"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(pg_dir, ignore_errors=True)
        shutil.rmtree(run_dir, ignore_errors=True)


def test_records_survive_a_postgres_restart(server: tuple[str, Path, list[str]]) -> None:
    url, data, pg_ctl = server
    records = SqlRecords.from_url(url)
    job = records.create_job("acme", "select", {"k": 2}, uuid.uuid4().hex)
    assert records.progress("acme", job.id, "ingest", 1)
    subprocess.run(
        [*pg_ctl, "-D", str(data), "stop", "-m", "fast"],
        check=True,
        timeout=60,
        capture_output=True,
    )
    with pytest.raises(TransientError, match="records database unreachable"):
        records.progress("acme", job.id, "embedding", 1)
    port = url.rsplit(":", 1)[1].split("/")[0]
    opts = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={data.parent}/sock"
    log = data.parent / "restart.log"
    start = [*pg_ctl, "-D", str(data), "start", "-w", "-o", opts, "-l", str(log)]
    subprocess.run(start, check=True, timeout=60, capture_output=True)
    deadline = time.monotonic() + 30
    while True:  # the pool's stale connections are replaced (pool_pre_ping)
        try:
            assert records.progress("acme", job.id, "embedding", 1)
            break
        except TransientError:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    assert set(records.stages("acme", job.id)) == {"ingest", "embedding"}
    assert records.get_job("acme", job.id).status == "running"
    records.close()
