"""``make test`` never skips: under ``FARPOINT_REQUIRE_INFRA=1`` every skip is a failure.

Runs pytest in a subprocess, with tests/conftest.py as a plugin, on a small test file that skips
three ways (a helper, a marker, :func:`tests.require.need_file`), next to an xfail that must stay
an xfail; once with the variable (all three fail with their reasons) and once without (skips).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SKIPPING = """
import pytest
from pathlib import Path
from tests.require import need_file

def test_helper():
    pytest.skip("no widget here")

@pytest.mark.skipif(True, reason="marker says no")
def test_marker():
    pass

def test_data():
    need_file(Path("/nonexistent/farpoint-sample.bin"), "run scripts/deps/sample-data.sh")

@pytest.mark.xfail(reason="known bug", strict=True)
def test_xfail():
    assert False

def test_plain():
    assert True
"""


def _run(tmp_path: Path, require: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_skipping.py").write_text(SKIPPING)
    env = dict(os.environ, FARPOINT_REQUIRE_INFRA=require, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider"]
    cmd += ["-p", "tests.conftest", "--rootdir", str(tmp_path), str(tmp_path)]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)


def test_every_skip_fails_when_infra_is_required(tmp_path: Path) -> None:
    done = _run(tmp_path, "1")
    assert done.returncode == 1, done.stdout + done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert "1 passed" in last and "1 xfailed" in last and "skipped" not in last
    assert "2 failed" in last and "1 error" in last  # a marker skips in setup: an error
    lines = done.stdout.splitlines()
    for reason in ("no widget here", "marker says no", "farpoint-sample.bin missing"):
        assert any("forbids skipping" in line and reason in line for line in lines), reason


def test_skips_stay_skips_for_a_developer_run(tmp_path: Path) -> None:
    done = _run(tmp_path, "0")
    assert done.returncode == 0, done.stdout + done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert "3 skipped" in last and "1 passed" in last and "1 xfailed" in last
    assert re.search(r"\d+ failed", last) is None
