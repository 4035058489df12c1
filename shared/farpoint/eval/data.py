"""Real labeled image sets reachable offline: Fashion-MNIST (IDX files), opencv's digits, and the
UCI digits bundled with scikit-learn (the held-out set).

Fashion-MNIST comes from Debian's ``dataset-fashion-mnist`` (60k train / 10k test, 28x28 gray,
10 balanced classes). The digits set is ``digits.png`` from Debian's ``opencv-doc``: 5,000
handwritten digits at 20x20, 500 per class laid out in row blocks (5 rows of 100 per class).
``uci-digits`` is scikit-learn's bundled copy of the UCI optical-recognition digits
(``sklearn.datasets.load_digits``: 1,797 images, 8x8, 16 grey levels, about 180 per class), a
different collection of writers, resolution and preprocessing from opencv's: the **held-out**
set on which rules and constants are chosen before they meet the two grid sets
(docs/quality.md). It is not in the default grid.

Every set is split into a *pool* (what selection sees, labels hidden), a *val* split (used only
by the ``--paper`` recipe for early stopping) and a *test* split (balanced, real, fixed).
"""

from __future__ import annotations

import gzip
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from farpoint.errors import InputError, NotFoundError

FASHION_DIR = Path(os.environ.get("FARPOINT_FASHION_DIR", "/usr/share/datasets/fashion-mnist"))
DIGITS_PNG = Path(
    os.environ.get("FARPOINT_DIGITS_PNG", "/usr/share/doc/opencv-doc/examples/data/digits.png")
)
FASHION_CLASSES = (
    "t-shirt",
    "trouser",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "boot",
)
DATASETS = ("fashion-mnist", "digits", "uci-digits")


@dataclass
class LabeledSet:
    """Gray images ``(N, H, W)`` uint8 with integer labels ``(N,)``."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def subset(self, idx: np.ndarray) -> LabeledSet:
        return LabeledSet(self.images[idx], self.labels[idx])


@dataclass
class Dataset:
    name: str
    pool: LabeledSet
    val: LabeledSet
    test: LabeledSet
    n_classes: int
    note: str = ""


def _open(path: Path) -> bytes:
    if not path.exists():
        raise NotFoundError(f"{path}: no such file (install Debian's dataset-fashion-mnist)")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        return bytes(f.read())


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (optionally gzipped): magic ``00 00 <type> <ndim>``, big-endian dims."""
    data = _open(Path(path))
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise InputError(f"{path}: not an IDX file (bad magic)")
    dtypes = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if data[2] not in dtypes:
        raise InputError(f"{path}: unknown IDX element type 0x{data[2]:02x}")
    ndim = data[3]
    dims = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    dtype = np.dtype(dtypes[data[2]])
    body = data[4 + 4 * ndim :]
    expected = int(np.prod(dims)) * dtype.itemsize
    if len(body) != expected:
        raise InputError(f"{path}: IDX body holds {len(body)} bytes, header says {expected}")
    return np.frombuffer(body, dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="))


def _stratified(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    out = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        out.append(rng.choice(idx, size=min(per_class, idx.size), replace=False))
    return np.sort(np.concatenate(out))


def load_fashion(pool_size: int = 3_000, val_size: int = 2_000, seed: int = 0) -> Dataset:
    """Fashion-MNIST: a balanced pool of ``pool_size`` train images (all 60k when 0), a val set
    from the remaining train images, and the full real 10k test split."""
    tr_x = read_idx(FASHION_DIR / "train-images-idx3-ubyte.gz")
    tr_y = read_idx(FASHION_DIR / "train-labels-idx1-ubyte.gz").astype(np.int64)
    te_x = read_idx(FASHION_DIR / "t10k-images-idx3-ubyte.gz")
    te_y = read_idx(FASHION_DIR / "t10k-labels-idx1-ubyte.gz").astype(np.int64)
    rng = np.random.default_rng(seed)
    if pool_size and pool_size < len(tr_y):
        pool_idx = _stratified(tr_y, pool_size // 10, rng)
    else:
        pool_idx = np.arange(len(tr_y))
    rest = np.setdiff1d(np.arange(len(tr_y)), pool_idx)
    if rest.size == 0:  # whole train split in the pool: carve val out of it
        rest = pool_idx
    val_idx = np.sort(rng.choice(rest, size=min(val_size, rest.size), replace=False))
    train = LabeledSet(tr_x, tr_y)
    return Dataset(
        "fashion-mnist",
        train.subset(pool_idx),
        train.subset(val_idx),
        LabeledSet(te_x, te_y),
        10,
        note=f"pool {len(pool_idx)} of 60,000 train images (balanced), test = t10k (10,000)",
    )


def load_digits_png(path: str | Path = DIGITS_PNG) -> LabeledSet:
    """opencv's digits.png: a 1000x2000 gray mosaic, 50 rows x 100 cols of 20x20 digits; rows
    ``5c .. 5c+4`` hold digit ``c``."""
    p = Path(path)
    if not p.exists():
        raise NotFoundError(f"{p}: no such file (install Debian's opencv-doc)")
    from PIL import Image

    with Image.open(p) as im:
        mosaic = np.asarray(im.convert("L"))
    if mosaic.shape != (1000, 2000):
        raise InputError(f"{p}: expected a 1000x2000 mosaic, got {mosaic.shape}")
    cells = mosaic.reshape(50, 20, 100, 20).transpose(0, 2, 1, 3).reshape(5000, 20, 20)
    labels = np.repeat(np.arange(10), 500)
    return LabeledSet(np.ascontiguousarray(cells), labels.astype(np.int64))


def _split(
    name: str,
    full: LabeledSet,
    pool_size: int,
    test_per_class: int,
    val_per_class: int,
    seed: int,
    what: str,
) -> Dataset:
    """Stratified test and val splits of a labeled set; the rest (at most ``pool_size``,
    balanced) is the pool."""
    rng = np.random.default_rng(seed)
    test_idx = _stratified(full.labels, test_per_class, rng)
    rest = np.setdiff1d(np.arange(len(full)), test_idx)
    val_idx = rest[_stratified(full.labels[rest], val_per_class, rng)]
    pool_idx = np.setdiff1d(rest, val_idx)
    if pool_size and pool_size < pool_idx.size:
        pool_idx = pool_idx[_stratified(full.labels[pool_idx], pool_size // 10, rng)]
    return Dataset(
        name,
        full.subset(pool_idx),
        full.subset(val_idx),
        full.subset(test_idx),
        10,
        note=(f"{what}: pool {len(pool_idx)}, val {len(val_idx)}, test {len(test_idx)} (balanced)"),
    )


def load_digits(
    pool_size: int = 2_000, test_per_class: int = 100, val_per_class: int = 50, seed: int = 0
) -> Dataset:
    """opencv digits: per class 100 test, 50 val, up to 350 in the pool (``pool_size`` total)."""
    return _split(
        "digits",
        load_digits_png(),
        pool_size,
        test_per_class,
        val_per_class,
        seed,
        "opencv digits.png",
    )


def load_uci_digits_images() -> LabeledSet:
    """scikit-learn's bundled UCI digits as ``(1797, 8, 8)`` uint8 (16 grey levels x 16)."""
    from sklearn.datasets import load_digits as sk_digits

    d = sk_digits()
    images = np.clip(np.rint(d.images * 16.0), 0, 255).astype(np.uint8)
    return LabeledSet(np.ascontiguousarray(images), d.target.astype(np.int64))


def load_uci_digits(
    pool_size: int = 0, test_per_class: int = 50, val_per_class: int = 10, seed: int = 0
) -> Dataset:
    """UCI digits (held out): per class 50 test, 10 val, the rest (~120) in the pool."""
    return _split(
        "uci-digits",
        load_uci_digits_images(),
        pool_size,
        test_per_class,
        val_per_class,
        seed,
        "scikit-learn UCI digits (8x8, held out)",
    )


def load_dataset(name: str, pool_size: int | None = None, seed: int = 0) -> Dataset:
    if name == "fashion-mnist":
        return load_fashion(pool_size=3_000 if pool_size is None else pool_size, seed=seed)
    if name == "digits":
        return load_digits(pool_size=2_000 if pool_size is None else pool_size, seed=seed)
    if name == "uci-digits":
        return load_uci_digits(pool_size=pool_size or 0, seed=seed)
    raise InputError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}")


def to_rgb(images: np.ndarray) -> np.ndarray:
    """``(N, H, W)`` gray -> ``(N, H, W, 3)`` uint8 RGB (the embedders' input)."""
    return np.ascontiguousarray(np.repeat(images[..., None], 3, axis=-1))
