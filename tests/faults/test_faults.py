"""Faults mid-job on a private stack (its own Kafka, S3 server and PostgreSQL; every service a
process): SIGKILL every service and start it again, restart the Kafka broker (a worker's
/readyz answers 503 naming the broker while it is down, 200 once it is back), stop the S3 server
for 30 s, restart PostgreSQL. Each job ends ``succeeded`` with the same picks as an undisturbed
run of the same job (and no duplicated outputs: the same objects under its result prefix, one
vectors object per shard, k picks in the manifest), or ``failed`` with a reason; never stuck
(bounded wait). A stage raising an unexpected error fails its job within a minute:
tests/integration/test_lifecycle.py.

Where the kills land: all six services are SIGKILLed at once while one job is being embedded
(some shards have vectors, not all) and a second is queued for ingest; the later stages (and
the gateway) before their own stage is done, so the job's events wait for them in the broker.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from farpoint.jobs.keys import JobKeys
from farpoint.jobs.state import JobState, get_json
from tests.data import bikes_small
from tests.faults.stack import Stack

log = logging.getLogger(__name__)
pytestmark = [pytest.mark.integration, pytest.mark.slow]

TENANT = "faults"
K = 8
# 100 frames (10 s at 10 fps) in 25 shards: ingest and embedding take a while, all cheap.
BODY = {
    "k": K,
    "embedder": "pixels",
    "normalize": "pca",
    "width": 64,
    "fps": 10.0,
    "shard_size": 4,
    "seed": 1,
}
JOB_TIMEOUT_S = 300.0
S3_DOWN_S = 30.0


def _picks(result: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(i["media_id"], i["frame_index"], i["rank"], i["distance"]) for i in result["items"]]


def _outputs(stack: Stack, job_id: str) -> list[str]:
    """The objects under the job's result prefix, relative to it."""
    prefix = JobKeys(TENANT, job_id).result
    return sorted(k[len(prefix) :] for k in stack.store.list(prefix))


@pytest.fixture(scope="module")
def media(stack: Stack) -> str:
    return stack.tenant(TENANT).upload(bikes_small())


@pytest.fixture(scope="module")
def reference(stack: Stack, media: str) -> dict[str, Any]:
    """The undisturbed run: its picks, outputs and shard count."""
    tenant = stack.tenant(TENANT)
    r = tenant.submit({"media_ids": [media], **BODY})
    assert r.status_code == 201, r.text
    job_id = r.json()["id"]
    st = tenant.wait(job_id, JOB_TIMEOUT_S)
    assert st["status"] == "succeeded", st
    n_shards = int(get_json(stack.store, JobKeys(TENANT, job_id).ingest)["n_shards"])
    assert n_shards == 25
    return {
        "picks": _picks(tenant.result(job_id)),
        "outputs": _outputs(stack, job_id),
        "n_shards": n_shards,
    }


def _until(what: str, ok: Callable[[], bool], timeout_s: float = 180.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not ok():
        assert time.monotonic() < deadline, f"{what} not within {timeout_s:.0f}s"
        time.sleep(0.05)


def _readyz(stack: Stack, service: str, code: int, timeout_s: float) -> dict[str, Any]:
    """The first /readyz answer of ``service`` with status ``code`` (bounded wait)."""
    url = f"http://127.0.0.1:{stack.system.ports[service]}/readyz"
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        try:
            r = httpx.get(url, timeout=5)
            last = (r.status_code, r.text)
            if r.status_code == code:
                return r.json()  # type: ignore[no-any-return]
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.3)
    raise AssertionError(f"{service} /readyz never answered {code} in {timeout_s:.0f}s: {last}")


SERVICES = ("ingest", "embedding", "normalization", "selection", "export", "gateway")


def _submit(stack: Stack, media: str) -> str:
    r = stack.tenant(TENANT).submit({"media_ids": [media], **BODY})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _ends_like_the_reference(
    stack: Stack, job_id: str, reference: dict[str, Any], fault: str
) -> None:
    """Ended ``succeeded`` with the reference's picks and outputs (no duplicates), or ``failed``
    with a reason; never stuck (a bounded wait)."""
    tenant = stack.tenant(TENANT)
    st = tenant.wait(job_id, JOB_TIMEOUT_S)
    if st["status"] == "failed":  # allowed by the contract, but only with a reason
        assert st["error"] and ":" in st["error"], st
        log.warning("%s: job %s failed with a reason: %s", fault, job_id, st["error"])
        return
    assert st["status"] == "succeeded", st
    assert _picks(tenant.result(job_id)) == reference["picks"]
    # No duplicated outputs: the same objects as the undisturbed run, k picks in the manifest,
    # k frames, one frames and one vectors object per shard.
    keys = JobKeys(TENANT, job_id)
    assert _outputs(stack, job_id) == reference["outputs"]
    assert len(get_json(stack.store, keys.manifest)["picks"]) == K
    assert len(list(stack.store.list(keys.result + "frames/"))) == K
    total = reference["n_shards"]
    assert JobState(stack.store, TENANT).count_shards(job_id) == (total, total)


def test_sigkill_every_service_mid_job(stack: Stack, media: str, reference: dict[str, Any]) -> None:
    """Two jobs in flight; SIGKILL all six services at once while the first is being embedded
    (so ingest works on the second, and the later stages and the gateway have the first's
    events still to come), then start them all again. One restart cycle covers every service
    (six separate cycles would cost minutes on a loaded machine)."""
    state = JobState(stack.store, TENANT)
    first, second = _submit(stack, media), _submit(stack, media)
    total = reference["n_shards"]
    _until("a first embedded shard", lambda: state.count_shards(first)[1] >= 1)
    t0 = time.monotonic()
    for name in SERVICES:
        stack.system.kill(name)
    # Where the kills landed: embedding in the middle of the first job, the stages after it
    # before their turn, ingest not yet done with the second job.
    _, vectors = state.count_shards(first)
    assert 0 < vectors < total, "the kill did not land mid-embedding"
    for stage in ("normalization", "selection", "export"):
        assert not state.stage_done(first, stage), f"{stage} was done: not mid-job"
    assert not stack.store.exists(JobKeys(TENANT, second).ingest), "second job already ingested"
    for name in SERVICES:
        stack.system.start(name, wait=False)
    for name in SERVICES:
        stack.system.wait_ready(name)
    log.info("all services killed and back in %.1fs", time.monotonic() - t0)
    _ends_like_the_reference(stack, first, reference, "sigkill")
    _ends_like_the_reference(stack, second, reference, "sigkill")


@pytest.mark.parametrize("fault", ["kafka", "s3", "postgres"])
def test_server_fault_mid_job(
    stack: Stack, media: str, reference: dict[str, Any], fault: str
) -> None:
    state = JobState(stack.store, TENANT)
    job_id = _submit(stack, media)
    _until("a first embedded shard", lambda: state.count_shards(job_id)[1] >= 1)
    infra = stack.infra
    t0 = time.monotonic()
    if fault == "kafka":
        cmd = infra.stop_kafka()
        assert not state.stage_done(job_id, "export"), "not mid-job"
        # readiness tells the truth: 503 naming the broker while it is down, 200 once back
        down = _readyz(stack, "selection", 503, 90)
        assert down["checks"]["broker"]["ok"] is False, down
        infra.start_kafka(cmd)
        assert _readyz(stack, "selection", 200, 120)["checks"]["broker"]["ok"] is True
    elif fault == "s3":
        cmd = infra.stop_s3()
        time.sleep(max(0.0, S3_DOWN_S - (time.monotonic() - t0)))
        infra.start_s3(cmd)
        assert not state.stage_done(job_id, "export"), "the job ended while S3 was down"
    else:
        assert not state.stage_done(job_id, "export"), "not mid-job"
        infra.restart_postgres()
    log.info("%s: the fault took %.1fs", fault, time.monotonic() - t0)
    _ends_like_the_reference(stack, job_id, reference, fault)
