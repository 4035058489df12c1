"""The CLI's promises about the environment and missing inputs, as whole processes:
one log-level variable (``FARPOINT_LOG_LEVEL``, any case, the services' too; a bad value is one
line and exit 4) and "not found" is exit 3 for ``train`` as for ``select`` (README)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from farpoint.errors import ConfigError
from farpoint.settings import get_settings

REPO = Path(__file__).resolve().parents[2]


def farpoint(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k != "FARPOINT_LOG_LEVEL"}
    full.update(env or {})
    cmd = [sys.executable, "-m", "farpoint.cli", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=full, cwd=REPO, timeout=300)


def one_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert "Traceback" not in proc.stderr and len(lines) == 1, proc.stderr
    return lines[0]


@pytest.mark.parametrize(
    "args", [("select-vectors", "x.npy", "-k", "2"), ("serve", "gateway", "--port", "18931")]
)
def test_a_bad_log_level_is_one_line_and_exit_4(args: tuple[str, ...]) -> None:
    proc = farpoint(*args, env={"FARPOINT_LOG_LEVEL": "loud"})
    assert proc.returncode == 4, proc.stderr
    line = one_line(proc)
    assert "FARPOINT_LOG_LEVEL='loud'" in line and "debug, info, warning" in line


@pytest.mark.parametrize(("value", "level"), [("Info", 20), (" ERROR ", 40), ("", 30)])
def test_log_level_is_case_insensitive_with_warning_by_default(value: str, level: int) -> None:
    code = "import logging; from farpoint.cli import _setup_logging; _setup_logging(False); "
    code += "print(logging.getLogger().level)"
    env = {k: v for k, v in os.environ.items() if k != "FARPOINT_LOG_LEVEL"}
    env["FARPOINT_LOG_LEVEL"] = value
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) == level


def test_the_services_settings_name_the_bad_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FARPOINT_LOG_LEVEL", "verbose")
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigError, match="FARPOINT_LOG_LEVEL") as info:
            get_settings()
        assert "\n" not in info.value.message and info.value.exit_code == 4
        monkeypatch.setenv("FARPOINT_LOG_LEVEL", "DEBUG")
        get_settings.cache_clear()
        assert get_settings().log_level == "debug"
    finally:
        get_settings.cache_clear()


def test_train_on_a_missing_file_is_not_found_exit_3(tmp_path: Path) -> None:
    missing = tmp_path / "missing.mp4"
    proc = farpoint("train", str(missing), "-o", str(tmp_path / "m.pt"), "-q")
    assert proc.returncode == 3, proc.stderr
    assert str(missing) in one_line(proc)
    assert not (tmp_path / "m.pt").exists()


def test_select_vectors_output_is_unchanged_by_log_level(tmp_path: Path) -> None:
    x = np.random.default_rng(0).normal(size=(50, 4)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    quiet = farpoint("select-vectors", str(tmp_path / "x.npy"), "-k", "5")
    loud = farpoint(
        "select-vectors", str(tmp_path / "x.npy"), "-k", "5", env={"FARPOINT_LOG_LEVEL": "debug"}
    )
    assert quiet.returncode == 0 and loud.returncode == 0, quiet.stderr + loud.stderr
    assert quiet.stdout == loud.stdout and len(eval(quiet.stdout)) == 5
