"""The GPU check (bench/gpu_check.py) in its CPU dry mode: the same code paths as on a device,
tiny sizes, so the check cannot rot between the rare runs on a lent GPU. Its congruence checks
must pass (torch selection backend == float64 reference on real data, embedders within
tolerance, FAISS kNN) and its report must hold every section with figures."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_gpu_check_dry_runs_every_section(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import gpu_check
    finally:
        sys.path.remove(str(ROOT / "bench"))
    rep = gpu_check.run_check(dry=True, out=tmp_path)

    for name in gpu_check.SECTIONS:
        assert name in rep, name
        assert "error" not in rep[name], (name, rep[name].get("traceback"))
    assert rep["environment"]["dry"] is True
    sel = rep["selection"]
    assert sel["identical_picks"] and sel["passed"] and sel["k"] == gpu_check.DRY.sel_k
    cases = rep["embedders"]["cases"]
    assert {(c["embedder"], c["precision"]) for c in cases} >= {
        ("pixels", "fp32"),
        ("imagenet", "fp32"),
        ("imagenet", "bfloat16"),
    }
    assert all(c["passed"] and c["min_cosine"] >= c["tolerance"] for c in cases)
    assert rep["faiss"]["passed"] and rep["faiss"]["status"]
    timing = rep["select_timing"]
    assert timing["k_run"] == gpu_check.DRY.timing_k and timing["picks_distinct"]
    assert timing["seconds"] > 0
    rows = rep["embed_throughput"]["rows"]
    assert {r["size"] for r in rows} == {112, 64}
    assert all(r["frames_per_s"] > 0 for r in rows)
    train = rep["train_throughput"]
    assert train["steps"] >= 2 and train["images_per_s"] > 0 and train["amp"] is False
    assert rep["passed"] is True

    on_disk = json.loads((tmp_path / "gpu-check.json").read_text())
    assert on_disk["passed"] is True and set(gpu_check.SECTIONS) <= set(on_disk)
    md = (tmp_path / "gpu-check.md").read_text()
    for name in gpu_check.SECTIONS[1:]:
        assert f"## {name}" in md
