"""``farpoint admin cleanup`` (the retention CronJob's command) on a local store: a clear error
without a TTL or with a negative one; ``--dry-run`` lists what would go and deletes nothing; the
sweep deletes it (objects of ended jobs past the job TTL, media past the media TTL); a second
sweep deletes nothing. On the real servers: tests/integration/test_retention.py."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from farpoint.cli import main
from farpoint.jobs.keys import JobKeys, MediaKeys
from farpoint.jobs.state import JobState, MediaInfo, put_json, put_media_info
from farpoint.store.local import LocalStore


@pytest.mark.parametrize(
    ("flags", "words"),
    [([], "no TTL"), (["--ttl-days", "-1"], "--ttl-days must be >= 0")],
    ids=["no-ttl", "negative"],
)
def test_bad_ttls_are_clear_errors(
    tmp_path: Path,
    flags: list[str],
    words: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("FARPOINT_JOBS__TTL_DAYS", raising=False)
    monkeypatch.delenv("FARPOINT_JOBS__MEDIA_TTL_DAYS", raising=False)
    code = main(["admin", "--store-dir", str(tmp_path), "cleanup", *flags])
    assert code != 0
    assert words in capsys.readouterr().err


def test_dry_run_then_sweep_then_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = LocalStore(tmp_path / "store")
    state = JobState(store, "acme")
    ended = state.create("select", {"media_ids": ["m1"], "k": 1})
    put_json(store, JobKeys("acme", ended).stage_done("export"), {})
    store.put_bytes(JobKeys("acme", ended).frames(0), b"frames")
    running = state.create("select", {"media_ids": ["m1"], "k": 1})
    store.put_bytes(JobKeys("acme", running).frames(0), b"frames")  # running: has a shard
    day_ms = 86_400_000
    old = int(time.time() * 1000) - 10 * day_ms
    for media_id in ("old1", "old2", "m1"):  # m1 is read by the running job
        put_media_info(
            store, MediaInfo(media_id, "x.jpg", ".jpg", "image", 1, "image/jpeg", old, "acme")
        )
        store.put_bytes(MediaKeys("acme", media_id).original, b"x")
    time.sleep(0.01)
    base = ["admin", "--store-dir", str(tmp_path / "store"), "cleanup"]
    ttls = ["--ttl-days", "0", "--media-ttl-days", "5"]

    before = sorted(store.list(""))
    assert main([*base, *ttls, "--dry-run"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert (dry["dry_run"], dry["jobs"], dry["media"]) == (True, [ended], ["old1", "old2"])
    assert sorted(store.list("")) == before

    assert main([*base, *ttls]) == 0
    done = json.loads(capsys.readouterr().out)
    assert (done["jobs"], done["media"], done["objects"]) == (
        dry["jobs"],
        dry["media"],
        dry["objects"],
    )
    assert not list(store.list(JobKeys("acme", ended).root))
    assert store.exists(JobKeys("acme", running).frames(0))
    assert store.exists(MediaKeys("acme", "m1").original)
    assert not store.exists(MediaKeys("acme", "old1").original)

    assert main([*base, *ttls]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["jobs"], again["media"], again["objects"]) == ([], [], 0)
