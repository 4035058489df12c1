"""The eval's real data loaders: IDX parsing on the installed Fashion-MNIST files, digits.png."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from farpoint.errors import InputError
from farpoint.eval.data import DIGITS_PNG, FASHION_DIR, load_digits_png, read_idx
from tests.require import need_file

FASHION_HOW = "Debian dataset-fashion-mnist not installed: run scripts/deps/sample-data.sh"


def test_idx_loader_reads_the_real_fashion_test_split() -> None:
    need_file(FASHION_DIR / "t10k-labels-idx1-ubyte.gz", FASHION_HOW)
    labels = read_idx(FASHION_DIR / "t10k-labels-idx1-ubyte.gz")
    images = read_idx(FASHION_DIR / "t10k-images-idx3-ubyte.gz")
    assert labels.shape == (10_000,)
    assert images.shape == (10_000, 28, 28) and images.dtype == np.uint8
    assert np.array_equal(np.bincount(labels), np.full(10, 1000))  # balanced test split
    assert 0 < images.mean() < 255 and images.max() == 255


def test_idx_roundtrip_and_bad_magic(tmp_path) -> None:
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    p = tmp_path / "x.idx.gz"
    with gzip.open(p, "wb") as f:
        f.write(bytes([0, 0, 0x08, 3]) + struct.pack(">3I", 2, 3, 4) + arr.tobytes())
    assert np.array_equal(read_idx(p), arr)
    bad = tmp_path / "bad.idx"
    bad.write_bytes(b"\x01\x02\x08\x01" + struct.pack(">I", 1) + b"\x00")
    with pytest.raises(InputError, match="magic"):
        read_idx(bad)
    short = tmp_path / "short.idx"
    short.write_bytes(bytes([0, 0, 0x08, 1]) + struct.pack(">I", 5) + b"\x00")
    with pytest.raises(InputError, match="header says"):
        read_idx(short)


def test_digits_png_is_5000_cells_in_class_blocks() -> None:
    need_file(DIGITS_PNG, "Debian opencv-doc not installed: run scripts/deps/sample-data.sh")
    d = load_digits_png()
    assert d.images.shape == (5000, 20, 20)
    assert np.array_equal(np.bincount(d.labels), np.full(10, 500))
    # ones are thin: fewer ink pixels than zeros or eights
    ink = [(d.images[d.labels == c] > 128).mean() for c in range(10)]
    assert ink[1] < ink[0] and ink[1] < ink[8]


def test_uci_digits_is_a_held_out_split_of_sklearns_copy() -> None:
    """The held-out set: scikit-learn's 1,797 UCI digits (installed with the probe's
    scikit-learn), 8x8 at 16 grey levels scaled to 0-255; a balanced 50-per-class test split,
    pool + val + test = every image once; not in the default grid."""
    from farpoint.eval.cli import N_CLASSES
    from farpoint.eval.data import load_dataset, load_uci_digits_images

    full = load_uci_digits_images()
    assert full.images.shape == (1797, 8, 8) and full.images.dtype == np.uint8
    assert full.images.max() == 255 and set(np.unique(full.images)) <= set(range(0, 256, 16)) | {
        255
    }
    ds = load_dataset("uci-digits")
    assert np.array_equal(np.bincount(ds.test.labels), np.full(10, 50))
    assert len(ds.pool) + len(ds.val) + len(ds.test) == 1797
    assert np.bincount(ds.pool.labels).min() >= 100  # every class in the pool
    assert N_CLASSES["uci-digits"] == 10
    again = load_dataset("uci-digits")
    assert np.array_equal(again.pool.images, ds.pool.images)  # reproducible (seed 0)
    # the pool is disjoint from the test split: no test image appears in it
    pool_rows = {im.tobytes() for im in ds.pool.images}
    test_rows = [im.tobytes() for im in ds.test.images]
    assert not any(r in pool_rows for r in test_rows)
