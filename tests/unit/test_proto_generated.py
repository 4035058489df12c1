"""The committed protobuf code in shared/farpoint/events/ matches proto/ (run `make proto`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "shared" / "farpoint" / "events"


def test_generated_code_matches_the_proto_files(tmp_path: Path) -> None:
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "proto.sh"), str(tmp_path)],
        check=True,
        env={"PY": sys.executable, "PATH": "/usr/bin:/bin"},
        capture_output=True,
    )
    generated = sorted(p.name for p in tmp_path.glob("*_pb2.py*"))
    assert generated, "proto.sh generated nothing"
    for name in generated:
        committed = EVENTS / name
        assert committed.exists(), f"{name} is not committed; run `make proto`"
        assert committed.read_text() == (tmp_path / name).read_text(), (
            f"shared/farpoint/events/{name} is stale; run `make proto`"
        )


def test_events_round_trip() -> None:
    from farpoint.events import events_pb2 as pb
    from farpoint.jobs.events import make_event, parse_event

    data = make_event("default", "j1", "j1:shard-ready:3", pb.ShardReady(shard=3, n_frames=7))
    ev, body = parse_event(data, "shard_ready")
    assert body == "shard_ready" and ev.shard_ready.shard == 3 and ev.job.job_id == "j1"
