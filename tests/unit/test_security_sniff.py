"""Media sniffing on real files: containers encoded with PyAV, images with Pillow, archives.

The name never matters: every file is read as bytes only.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
import zipfile
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from farpoint.security.sniff import SNIFF_BYTES, sniff
from tests.data import bikes_small, fixture
from tests.require import unavailable


def _encode(fmt: str, codec: str, suffix: str, tmp: Path) -> bytes:
    path = tmp / f"clip{suffix}"
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=10)
        stream.width, stream.height = 64, 48
        stream.pix_fmt = "yuv420p" if codec != "mjpeg" else "yuvj420p"
        for i in range(5):
            img = np.full((48, 64, 3), i * 40, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path.read_bytes()


@pytest.mark.parametrize(
    ("fmt", "codec", "suffix", "expected"),
    [
        ("matroska", "mpeg4", ".mkv", "matroska"),
        ("webm", "libvpx", ".webm", "matroska"),
        ("avi", "mjpeg", ".avi", "avi"),
        ("mpegts", "mpeg2video", ".ts", "mpegts"),
        ("mov", "mpeg4", ".mov", "mov"),
        ("mp4", "mpeg4", ".mp4", "mp4"),
        ("mpeg", "mpeg2video", ".mpg", "mpeg"),
        ("flv", "flv", ".flv", "flv"),
    ],
)
def test_video_containers(fmt: str, codec: str, suffix: str, expected: str, tmp_path: Path) -> None:
    if codec not in av.codecs_available:
        unavailable(f"this PyAV build has no {codec} encoder")
    media = sniff(_encode(fmt, codec, suffix, tmp_path)[:SNIFF_BYTES])
    assert media is not None and media.kind == "video" and media.format == expected


def test_real_street_video() -> None:
    media = sniff(bikes_small().read_bytes()[:SNIFF_BYTES])
    assert media is not None and (media.kind, media.ext) == ("video", ".mp4")


@pytest.mark.parametrize(
    ("pil_format", "expected"),
    [("JPEG", "jpeg"), ("PNG", "png"), ("GIF", "gif"), ("BMP", "bmp"), ("TIFF", "tiff"),
     ("WEBP", "webp"), ("PPM", "pnm")],
)  # fmt: skip
def test_images(pil_format: str, expected: str) -> None:
    buf = io.BytesIO()
    Image.open(fixture("images/street_a.jpg")).convert("RGB").save(buf, format=pil_format)
    media = sniff(buf.getvalue()[:SNIFF_BYTES])
    assert media is not None and (media.kind, media.format) == ("image", expected)


def _tar_bytes() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add(fixture("images/street_c.png"), arcname="street_c.png")
    return buf.getvalue()


def test_archives() -> None:
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        z.write(fixture("images/street_a.jpg"), "a.jpg")
    tar = _tar_bytes()
    cases = {
        "zip": zbuf.getvalue(),
        "tar": tar,
        "tar.gz": gzip.compress(tar),
        "tar.bz2": bz2.compress(tar),
        "tar.xz": lzma.compress(tar),
    }
    for fmt, data in cases.items():
        media = sniff(data[:SNIFF_BYTES])
        assert media is not None and (media.kind, media.format) == ("archive", fmt), fmt
        assert media.ext == "." + fmt


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello, this is a text file pretending to be video.mp4\n" * 10,
        b"<html><body>not a video</body></html>",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
        b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 100,
        b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 100,  # audio, not video
        gzip.compress(b"just some gzipped text, not a tar" * 20),  # gzip but no tar inside
        b"\x00\x00\x00\x18ftypheic" + b"\x00" * 100,  # HEIF: ingest cannot decode it
        b"\x47" + b"\x00" * 100,  # a single sync byte is not a transport stream
        b"MZ\x90\x00" + b"\x00" * 100,
    ],
)
def test_refuses_other_content(data: bytes) -> None:
    assert sniff(data) is None


def test_bzip2_of_non_tar_small_enough_to_decompress_is_refused() -> None:
    assert sniff(bz2.compress(b"plain text, no tar header here" * 10)) is None
