"""Load on the private stack (every service a process, real Kafka, S3 and PostgreSQL): 50 jobs
from 3 tenants submitted at once. Each tenant's quota holds exactly under the concurrent
requests (``QUOTA`` accepted, the rest 429: the single-gateway version of this check is
tests/integration/test_records_gateway.py); the refused ones are submitted again as slots free
up; all 50 end ``succeeded`` within a bound; each tenant lists only its own jobs and gets 404 for
another's."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.data import fixture_images
from tests.faults.stack import QUOTA, Stack, Tenant

pytestmark = [pytest.mark.integration, pytest.mark.slow]

JOBS = {"load-a": 17, "load-b": 17, "load-c": 16}  # 50 in all
LOAD_TIMEOUT_S = 420.0


def _body(media: str, seed: int) -> dict[str, object]:
    return {
        "media_ids": [media],
        "k": 1,
        "embedder": "pixels",
        "normalize": "none",
        "width": 32,
        "seed": seed,
    }


def _list_all(tenant: Tenant) -> list[str]:
    ids: list[str] = []
    cursor = None
    for _ in range(100):  # bounded paging
        params = {"limit": 7} | ({"cursor": cursor} if cursor else {})
        r = tenant._call("GET", "/v1/jobs", params=params)
        r.raise_for_status()
        page = r.json()
        ids += [j["id"] for j in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            return ids
    raise AssertionError("paging did not end")


def test_fifty_jobs_from_three_tenants_at_once(stack: Stack) -> None:
    tenants = {name: stack.tenant(name) for name in JOBS}
    image = fixture_images()[0]
    media = {name: t.upload(image) for name, t in tenants.items()}
    work = [(name, i) for name, n in JOBS.items() for i in range(n)]

    def submit(item: tuple[str, int]) -> tuple[str, int, int, str]:
        name, i = item
        r = tenants[name].submit(_body(media[name], i))
        return name, i, r.status_code, (r.json().get("id", "") if r.status_code == 201 else "")

    t0 = time.monotonic()
    with ThreadPoolExecutor(25) as pool:  # all 50 requests at once, over 25 connections
        first = list(pool.map(submit, work))
    for name, n in JOBS.items():
        codes = sorted(code for who, _, code, _ in first if who == name)
        assert codes == [201] * QUOTA + [429] * (n - QUOTA), (name, codes)
    jobs = {(name, i): jid for name, i, code, jid in first if code == 201}
    waiting = [(name, i) for name, i, code, _ in first if code == 429]

    # Submit the refused ones again as slots free up; wait for all 50 to end (bounded).
    ended: dict[tuple[str, int], str] = {}
    deadline = t0 + LOAD_TIMEOUT_S
    while len(ended) < len(work):
        assert time.monotonic() < deadline, (
            f"{len(work) - len(ended)} jobs not ended after {LOAD_TIMEOUT_S:.0f}s "
            f"({len(waiting)} never accepted)"
        )
        for item, jid in jobs.items():
            if item not in ended:
                st = tenants[item[0]].status(jid)
                if st is not None and st["status"] in ("succeeded", "failed"):
                    ended[item] = st["status"] if st["status"] == "succeeded" else st["error"]
        for item in list(waiting):
            name, i, code, jid = submit(item)
            assert code in (201, 429), code
            if code == 201:
                jobs[item] = jid
                waiting.remove(item)
        time.sleep(0.5)
    assert set(ended.values()) == {"succeeded"}, {
        k: v for k, v in ended.items() if v != "succeeded"
    }
    assert len(set(jobs.values())) == 50

    # Each tenant sees only its own jobs (paging through the records) and none of the others'.
    for name, tenant in tenants.items():
        mine = sorted(jid for (who, _), jid in jobs.items() if who == name)
        assert sorted(_list_all(tenant)) == mine
    a, b = tenants["load-a"], tenants["load-b"]
    other = next(jid for (who, _), jid in jobs.items() if who == "load-b")
    assert a._call("GET", f"/v1/jobs/{other}").status_code == 404
    assert a._call("GET", f"/v1/jobs/{other}/result").status_code == 404
    assert b._call("GET", f"/v1/jobs/{other}/result").status_code == 200
    with pytest.raises(httpx.HTTPStatusError):
        a.result(other)
