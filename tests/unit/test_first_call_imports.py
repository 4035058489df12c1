"""``farpoint select-vectors`` starts without torch, UMAP or the services' stack: on a machine
without a GPU driver nothing it does needs them, and importing torch alone costs seconds per
process (docs/performance.md, "First run"). Also: the numba cache lives in the virtualenv."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from farpoint.selection.backends import GPU_DEVICE_FILES

CHECK = """
import json, sys
from farpoint.cli import main
rc = main(["select-vectors", sys.argv[1], "-k", "3"])
heavy = ["torch", "umap", "fastapi", "sklearn", "matplotlib"]
print(json.dumps({"rc": rc, "loaded": [m for m in heavy if m in sys.modules],
                  "cache": __import__("os").environ.get("NUMBA_CACHE_DIR")}))
"""


def test_select_vectors_imports_nothing_heavy(tmp_path: Path) -> None:
    x = np.random.default_rng(0).normal(size=(40, 5)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    done = subprocess.run(
        [sys.executable, "-c", CHECK, str(tmp_path / "x.npy")],
        capture_output=True, text=True, env=env, timeout=300, check=True,
    )  # fmt: skip
    lines = done.stdout.strip().splitlines()
    picks, report = json.loads(lines[0]), json.loads(lines[-1])
    assert report["rc"] == 0 and len(picks) == 3
    gpu = any(os.path.exists(f) for f in GPU_DEVICE_FILES)
    # with a GPU driver, "auto" asks torch whether CUDA works: the one legitimate heavy import
    assert report["loaded"] == (["torch"] if gpu else [])
    if sys.prefix != sys.base_prefix:  # in a virtualenv: the cache is inside it
        assert report["cache"] == os.path.join(sys.prefix, "var", "numba-cache")
