"""One frame-shard format for jobs and training (farpoint.ingest.shards): round trip on real
video frames, shards written before the format still read, a job's shards open as the same
training frames as a dataset built from the file, and the trainer service trains on a selection
job's shards without the media (deleted here, so any re-download would fail)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from farpoint.bus.memory import MemoryBus
from farpoint.errors import InputError
from farpoint.events import events_pb2 as pb
from farpoint.ingest import iter_frames
from farpoint.ingest.shards import Shard, read_shard, read_shard_table, shard_keys, write_shard
from farpoint.ingest.table import FrameTable
from farpoint.jobs.artifacts import read_table, shard_key_pairs, write_media_shards
from farpoint.jobs.keys import JobKeys, MediaKeys, ModelKeys
from farpoint.jobs.state import JobState, MediaInfo, get_json, put_media_info
from farpoint.settings import SecuritySettings, Settings
from farpoint.store.local import LocalStore
from farpoint.train.checkpoint import read_checkpoint
from farpoint.train.dataset import build_frame_dataset, load_frame_set, open_shards
from services.common.context import ServiceContext
from tests.data import bikes_small

TENANT = "default"


def _frames(n: int = 30, width: int = 64) -> list:  # type: ignore[type-arg]
    out = []
    for f in iter_frames([bikes_small()], width=width, fps=10.0):
        out.append(f)
        if len(out) == n:
            break
    return out


@pytest.mark.parametrize("mmap", [False, True])
def test_shard_round_trip_on_real_frames(tmp_path: Path, mmap: bool) -> None:
    store = LocalStore(tmp_path)
    frames = _frames()
    fk, mk = shard_keys("ds/", 3)
    assert (fk, mk) == ("ds/shards/00003/frames.npy", "ds/shards/00003/meta.json")
    write_shard(store, fk, mk, Shard.from_frames(frames, source="m1"))
    back = read_shard(store, fk, mk, mmap=mmap)
    assert back.frames.dtype == np.uint8 and back.frames.shape == (30, 27, 64, 3)
    got = list(back.iter_frames())
    assert [(g.source, g.index, g.timestamp, g.pts) for g in got] == [
        ("m1", f.index, round(f.timestamp, 6), f.pts) for f in frames
    ]
    assert all(np.array_equal(g.image, f.image) for g, f in zip(got, frames, strict=True))
    meta = json.loads((tmp_path / mk).read_text())
    assert meta["format"] == "farpoint.shard/1" and meta["sources"] == ["m1"]
    assert meta["count"] == 30 and meta["rows"][1][:2] == [0, frames[1].index]
    with pytest.raises(InputError):
        Shard.from_frames([])


def test_job_shards_written_before_the_format_still_read(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    old = {
        "media_id": "m9",
        "indices": [0, 3, 6],
        "timestamps": [0.0, 0.12, 0.24],
        "pts": [0, 3072, 6144],
    }
    store.put_bytes("old/meta.json", json.dumps(old).encode())
    t = read_shard_table(store, "old/meta.json")
    table = FrameTable()
    t.add_to(table)
    assert table.sources == ["m9"] * 3 and table.indices == [0, 3, 6]
    assert table.timestamps == [0.0, 0.12, 0.24] and table.pts == [0, 3072, 6144]
    store.put_bytes("bad/meta.json", b'{"rows": []}')
    with pytest.raises(InputError, match="farpoint.shard/1"):
        read_shard_table(store, "bad/meta.json")


def test_job_shards_open_as_the_same_training_frames(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    video = bikes_small()
    keys = JobKeys(TENANT, "job1")
    frames = iter_frames([video], width=64, fps=10.0)
    written = list(write_media_shards(store, keys, frames, {str(video): "media1"}, 16))
    store.put_bytes(keys.ingest, json.dumps({"n_shards": len(written)}).encode())
    assert [n for n, _ in written] == list(range(len(written))) and len(written) == 7
    from_job = open_shards(store, shard_key_pairs(store, keys))
    build_frame_dataset([video], store, prefix="ds", width=64, fps=10.0, shard_size=40)
    from_file = load_frame_set(store, "ds")
    assert len(from_job) == len(from_file) == 100
    assert from_job.sources == ["media1"] and len(from_file.sources) == 1
    assert np.array_equal(from_job.get(np.arange(100)), from_file.get(np.arange(100)))
    assert np.array_equal(from_job.timestamps, from_file.timestamps)
    assert np.array_equal(from_job.frame_index, from_file.frame_index)
    table = read_table(store, keys)
    assert table.indices == from_file.frame_index.tolist() and set(table.sources) == {"media1"}


@pytest.fixture
def ctx(tmp_path: Path) -> ServiceContext:
    return ServiceContext(
        settings=Settings(
            cache_dir=tmp_path / "cache", security=SecuritySettings(auth_enabled=False)
        ),
        store=LocalStore(tmp_path / "store"),
        bus=MemoryBus(default_partitions=1),
        max_upload_bytes=5 * 1024 * 1024,
    )


def _upload(ctx: ServiceContext, media_id: str) -> None:
    video = bikes_small()
    ctx.store.put_file(MediaKeys(TENANT, media_id).original, video)
    put_media_info(
        ctx.store,
        MediaInfo(
            media_id, video.name, ".mp4", "video", video.stat().st_size, "video/mp4", 0, TENANT
        ),
    )


def _train_event(job_id: str, media_id: str, name: str) -> pb.Event:
    ev = pb.Event(event_id=f"{job_id}:train", job=pb.JobRef(tenant=TENANT, job_id=job_id))
    ev.train_requested.CopyFrom(
        pb.TrainRequested(
            media_ids=[media_id],
            kind="autoencoder",
            model_name=name,
            epochs=1,
            fps=10.0,
            width=64,
            seed=0,
        )
    )
    return ev


def test_trainer_trains_on_a_selection_jobs_shards_without_the_media(
    ctx: ServiceContext,
) -> None:
    from services.ingest.handler import handle_job_requested
    from services.trainer.handler import handle

    _upload(ctx, "media1")
    state = JobState(ctx.store, TENANT)
    sel = state.create(
        "select",
        {
            "media_ids": ["media1"],
            "k": 5,
            "width": 64,
            "fps": 10.0,
            "shard_size": 32,
            "embedder": "pixels",
        },
    )
    ev = pb.Event(event_id=f"{sel}:req", job=pb.JobRef(tenant=TENANT, job_id=sel))
    ev.job_requested.SetInParent()
    handle_job_requested(ctx, ev)
    assert ctx.store.exists(JobKeys(TENANT, sel).ingest)
    ctx.store.delete(MediaKeys(TENANT, "media1").original)  # no re-download possible
    train = state.create("train", {"media_ids": ["media1"], "model_name": "ae1"})
    handle(ctx, _train_event(train, "media1", "ae1"))
    meta = get_json(ctx.store, ModelKeys(TENANT, "ae1").meta)
    assert meta["shards_of_job"] == sel and meta["frames"] > 0
    assert not list(ctx.store.list(JobKeys(TENANT, train).shards))  # nothing decoded again
    local = ctx.store.local_path(ModelKeys(TENANT, "ae1").model)
    assert local is not None
    blob = read_checkpoint(local)
    assert blob["method"] == "autoencoder" and blob["meta"]["data"]["frames"] == meta["frames"]
    assert state.stage_done(train, "train")


def test_trainer_decodes_once_into_its_own_shards(ctx: ServiceContext) -> None:
    from services.trainer.handler import shards_to_train_on

    _upload(ctx, "media2")
    state = JobState(ctx.store, TENANT)
    train = state.create("train", {"media_ids": ["media2"], "model_name": "ae2"})
    req = _train_event(train, "media2", "ae2").train_requested
    first = shards_to_train_on(ctx, TENANT, train, req)
    assert first.job_id == train and len(shard_key_pairs(ctx.store, first)) == 1
    ctx.store.delete(MediaKeys(TENANT, "media2").original)
    again = shards_to_train_on(ctx, TENANT, train, req)  # a redelivery decodes nothing
    assert again == first
    frames = open_shards(ctx.store, shard_key_pairs(ctx.store, again))
    assert len(frames) == 100 and frames.sources == ["media2"]
