"""Probes that tell the truth, on real processes (``farpoint serve selection``).

With the real broker, store and database: /healthz and /readyz answer 200 and /readyz names each
check. With a broker that does not answer: /readyz answers 503 naming the broker, and /healthz
turns 503 once the consumer has failed ``jobs.liveness_failures`` times in a row, so Kubernetes'
liveness probe restarts the process.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from farpoint.settings import KafkaSettings, S3Settings

pytestmark = pytest.mark.integration

FARPOINT = str(Path(sys.executable).with_name("farpoint"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 - loopback test URL
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _serve(env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [FARPOINT, "serve", "selection", "--port", str(port)],
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
            try:
                _get(base + "/healthz")
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "the service did not start listening"
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


def _until(
    base: str, path: str, status: int, timeout_s: float, settled: tuple[str, ...] = ()
) -> dict:
    """The first answer of ``path`` with ``status`` whose ``settled`` checks have run."""
    deadline = time.monotonic() + timeout_s
    while True:
        code, body = _get(base + path)
        checks = body.get("checks", {})
        if code == status and all(
            checks.get(c, {}).get("detail", "not checked yet") != "not checked yet" for c in settled
        ):
            return body
        assert time.monotonic() < deadline, f"{path} still answers {code}: {body}"
        time.sleep(0.3)


def _env(s3: S3Settings, kafka: KafkaSettings, database_url: str) -> dict[str, str]:
    run = uuid.uuid4().hex[:10]
    return {
        "FARPOINT_KAFKA__BOOTSTRAP": kafka.bootstrap,
        "FARPOINT_KAFKA__TOPIC_PREFIX": f"fpprobe{run}.",
        "FARPOINT_KAFKA__PARTITIONS": "1",
        "FARPOINT_S3__ENDPOINT": s3.endpoint,
        "FARPOINT_S3__BUCKET": "farpoint-tests",  # shared: every bucket costs SeaweedFS volumes
        "FARPOINT_DATABASE__URL": database_url,
        "FARPOINT_JOBS__READINESS_INTERVAL_S": "0.5",
        "FARPOINT_JOBS__LIVENESS_FAILURES": "2",
    }


def test_a_healthy_worker_is_alive_and_ready(
    s3_settings: S3Settings, kafka_settings: KafkaSettings, database_url: str, tmp_path: Path
) -> None:
    env = _env(s3_settings, kafka_settings, database_url)
    for base in _serve(env, tmp_path):
        body = _until(base, "/readyz", 200, 60)
        assert body["ready"] is True
        assert {k: v["ok"] for k, v in body["checks"].items()} == {
            "broker": True,
            "store": True,
            "database": True,
            "worker": True,
        }
        assert _get(base + "/healthz") == (200, {"status": "ok"})


def test_a_worker_without_its_broker_is_unready_then_not_alive(
    s3_settings: S3Settings, kafka_settings: KafkaSettings, database_url: str, tmp_path: Path
) -> None:
    env = _env(s3_settings, kafka_settings, database_url)
    env["FARPOINT_KAFKA__BOOTSTRAP"] = f"127.0.0.1:{_free_port()}"  # nothing listens there
    env["FARPOINT_KAFKA__REQUEST_TIMEOUT_MS"] = "3000"
    for base in _serve(env, tmp_path):
        body = _until(base, "/readyz", 503, 30, settled=("broker", "store", "database"))
        assert body["checks"]["broker"]["ok"] is False
        assert body["checks"]["store"]["ok"] is True
        assert body["checks"]["database"]["ok"] is True
        dead = _until(base, "/healthz", 503, 90)
        assert dead["status"] == "failing"
        assert "failed" in dead["detail"] and "times in a row" in dead["detail"]
