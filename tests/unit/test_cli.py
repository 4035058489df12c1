"""The CLI end to end, as a user runs it: `.venv/bin/farpoint` in a subprocess.

Bad input must give a non-zero exit code and one line on stderr, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from farpoint.selection import select_points
from tests.data import bikes_small, opencv_sample

REPO = Path(__file__).resolve().parents[2]
CLI = REPO / ".venv" / "bin" / "farpoint"


def run(*args: str | Path, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    cmd = [str(CLI)] if CLI.exists() else [sys.executable, "-m", "farpoint.cli"]
    env = {**os.environ, "FARPOINT_LOG_LEVEL": "ERROR"}
    return subprocess.run(
        [*cmd, *map(str, args)], capture_output=True, text=True, timeout=timeout, env=env
    )


def assert_one_line_error(proc: subprocess.CompletedProcess[str], code: int, words: str) -> None:
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    # Progress bars (stderr) may precede it; the reason is one whole line, the last one.
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert "Traceback" not in proc.stderr
    assert sum("error" in ln for ln in lines) == 1, proc.stderr
    assert lines[-1].startswith("farpoint: error: "), proc.stderr
    assert words.lower() in lines[-1].lower(), lines[-1]


def test_select_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run(
        "select",
        bikes_small(),
        "-k",
        "6",
        "-o",
        out,
        "--embedder",
        "pixels",
        "--normalize",
        "pca",
        "--fps",
        "5",
        "--quiet",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == f"picked 6 of 50 frames -> {out}"
    assert f"report: {out / 'report.html'}" in proc.stdout
    body = json.loads((out / "manifest.json").read_text())
    assert len(body["picks"]) == 6
    assert all((out / p["file"]).is_file() for p in body["picks"])
    assert len(list((out / "frames").glob("*.jpg"))) == 6
    assert proc.stderr.strip() == ""  # --quiet: no progress bars


def test_select_json_output(tmp_path: Path) -> None:
    proc = run(
        "select",
        bikes_small(),
        "-k",
        "3",
        "-o",
        tmp_path / "o",
        "--embedder",
        "pixels",
        "--normalize",
        "none",
        "--fps",
        "2",
        "--json",
        "-q",
        "--no-frames",
        "--no-report",
    )
    assert proc.returncode == 0, proc.stderr
    picks = json.loads(proc.stdout)
    assert [p["rank"] for p in picks] == [0, 1, 2] and picks[0]["distance"] is None


def test_non_video_bytes_and_empty_file(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(np.random.default_rng(0).integers(0, 256, 20_000, np.uint8).tobytes())
    empty = tmp_path / "empty.avi"
    empty.write_bytes(b"")
    out = tmp_path / "o"
    assert_one_line_error(
        run("select", junk, "-k", "2", "-o", out, "--embedder", "pixels"),
        2,
        "no frame could be decoded",
    )
    assert_one_line_error(
        run("select", empty, "-k", "2", "-o", out, "--embedder", "pixels"), 2, "empty file"
    )
    assert_one_line_error(
        run("select", tmp_path / "nope.mp4", "-k", "2", "-o", out), 3, "no such file"
    )


def test_megamind_bugy(tmp_path: Path) -> None:
    proc = run(
        "select",
        opencv_sample("Megamind_bugy.avi"),
        "-k",
        "4",
        "-o",
        tmp_path / "o",
        "--embedder",
        "pixels",
        "--normalize",
        "pca",
        "-q",
        "--no-report",
    )
    assert "Traceback" not in proc.stderr
    if proc.returncode == 0:  # FFmpeg decodes it (concealing the damage): frames come out
        assert proc.stdout.startswith("picked 4 of ")
        assert len(list((tmp_path / "o" / "frames").glob("*.jpg"))) == 4
    else:
        assert_one_line_error(proc, 2, "decod")


def test_bad_embedder_model_and_budget(tmp_path: Path) -> None:
    video, out = bikes_small(), tmp_path / "o"
    proc = run("select", video, "-k", "2", "-o", out, "--embedder", "sift")
    assert proc.returncode == 2 and "invalid choice: 'sift'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert_one_line_error(
        run(
            "select",
            video,
            "-k",
            "2",
            "-o",
            out,
            "--embedder",
            "checkpoint",
            "--model",
            tmp_path / "missing.pt",
        ),
        3,
        "not found",
    )
    assert_one_line_error(
        run("select", video, "-k", "2", "-o", out, "--embedder", "checkpoint"), 2, "needs --model"
    )
    assert_one_line_error(run("select", video, "-k", "0", "-o", out), 2, "k must be")
    assert_one_line_error(run("select", video, "-k", "-3", "-o", out), 2, "k must be")
    assert_one_line_error(
        run(
            "select",
            video,
            "-k",
            "21",
            "-o",
            out,
            "--embedder",
            "pixels",
            "--fps",
            "2",
            "--normalize",
            "none",
        ),
        2,
        "larger than the 20 frames",
    )


def test_select_vectors_json_and_bad_vectors(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 8)).astype(np.float32)
    good = tmp_path / "v.npy"
    np.save(good, x)
    proc = run("select-vectors", good, "-k", "7")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == select_points(x, 7, seed=0).indices.tolist()
    curve = run("select-vectors", good, "-k", "5", "--curve", "--seed", "4")
    body = json.loads(curve.stdout)
    assert body["indices"] == select_points(x, 5, seed=4).indices.tolist()
    assert body["distances"][0] is None and len(body["distances"]) == 5

    nan = x.copy()
    nan[5, 2] = np.nan
    np.save(tmp_path / "nan.npy", nan)
    np.save(tmp_path / "flat.npy", x[0])
    np.save(tmp_path / "cube.npy", x.reshape(30, 10, 8))
    (tmp_path / "text.npy").write_text("1,2,3\n")
    assert_one_line_error(run("select-vectors", tmp_path / "nan.npy", "-k", "2"), 2, "NaN")
    assert_one_line_error(run("select-vectors", tmp_path / "flat.npy", "-k", "2"), 2, "2-D")
    assert_one_line_error(run("select-vectors", tmp_path / "cube.npy", "-k", "2"), 2, "2-D")
    assert_one_line_error(run("select-vectors", tmp_path / "text.npy", "-k", "2"), 2, "not a numpy")
    assert_one_line_error(run("select-vectors", good, "-k", "301"), 2, "larger than")
    assert_one_line_error(run("select-vectors", good, "-k", "0"), 2, "k must be")
    assert_one_line_error(run("select-vectors", tmp_path / "none.npy", "-k", "2"), 3, "no such")
    labeled = tmp_path / "lab.npy"
    np.save(labeled, rng.normal(size=(4, 3)))
    assert_one_line_error(run("select-vectors", good, "-k", "2", "--labeled", labeled), 2, "dims")


@pytest.mark.parametrize("args", [["--version"], ["select", "--help"]])
def test_help_and_version(args: list[str]) -> None:
    proc = run(*args)
    assert proc.returncode == 0 and "farpoint" in proc.stdout


def test_a_broken_command_module_is_an_error_not_a_missing_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from farpoint import cli

    broken = tmp_path / "fp_broken_cmd.py"
    broken.write_text("import farpoint_no_such_dependency\n")
    no_run = tmp_path / "fp_half_cmd.py"
    no_run.write_text("def add_arguments(parser):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for module, error in (("fp_broken_cmd", ModuleNotFoundError), ("fp_half_cmd", AttributeError)):
        monkeypatch.setattr(cli, "MODULE_COMMANDS", (("extra", module, "an extra command"),))
        with pytest.raises(error):
            cli.build_parser()
