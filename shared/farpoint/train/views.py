"""Views for SwAV: batched image augmentations and temporal positive pairs (paper §3.2.3, §3.4).

**Image views** (§3.2.3: "random horizontal flipping, random color distortions, random gaussian
blur and random cropping"), applied per sample but computed batch-wise on the training device
(CPU or GPU) from one ``torch.Generator`` — deterministic for a seed, and no per-image Python
loop: random resized crop (``roi_align``), horizontal flip, colour jitter (brightness, contrast,
saturation, hue as a YIQ rotation) with p=0.8, grayscale with p=0.2, Gaussian blur with p=0.5.

**Temporal views** (§3.4): for video, a positive pair is two frames of the same video at most
``window_s`` apart (default ±1 s); the anchors of one batch are drawn **temporally distant** — no
two anchors of the same video closer than ``gap_s`` (default 10 s) — by greedy rejection
sampling across all videos: draw a random frame, keep it unless it collides with an anchor
already kept. Each frame of a pair then also gets a (milder) image augmentation.

When the clips are too short to hold a batch at that gap (e.g. one 80 s clip, batch 64), the
sampler lowers the gap once, at the start, to the largest value whose capacity
(``sum(span_s / gap + 1)`` over videos) is 1.5x the batch, and logs a warning; if random
drawing still falls short it fills the batch with random frames and counts it
(``shortfall_batches``). It never loops forever.
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torchvision.ops import roi_align

log = logging.getLogger(__name__)

_RGB2YIQ = torch.tensor(
    [[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]]
)
_GRAY = (0.299, 0.587, 0.114)


@dataclass
class ViewConfig:
    """Augmentation strengths and probabilities."""

    crop_scale: tuple[float, float] = (0.2, 1.0)
    crop_ratio: tuple[float, float] = (3 / 4, 4 / 3)
    flip_p: float = 0.5
    jitter_p: float = 0.8
    jitter_strength: float = 1.0  # SwAV's s: brightness/contrast/saturation 0.8s, hue 0.2s
    gray_p: float = 0.2
    blur_p: float = 0.5
    blur_sigma: tuple[float, float] = (0.1, 2.0)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def image_view_config() -> ViewConfig:
    """Views for still images: the full SwAV recipe."""
    return ViewConfig()


def temporal_view_config() -> ViewConfig:
    """Views on top of temporal pairs: time supplies most of the variation, so milder."""
    return ViewConfig(crop_scale=(0.5, 1.0), jitter_strength=0.5, blur_p=0.2)


def _uniform(gen: torch.Generator, n: int, lo: float, hi: float) -> torch.Tensor:
    return torch.rand(n, generator=gen) * (hi - lo) + lo


def _coin(gen: torch.Generator, n: int, p: float) -> torch.Tensor:
    return torch.rand(n, generator=gen) < p


def _gray(x: torch.Tensor) -> torch.Tensor:
    r, g, b = _GRAY
    return (r * x[:, 0:1] + g * x[:, 1:2] + b * x[:, 2:3])


def random_resized_crop(
    x: torch.Tensor, gen: torch.Generator, scale: tuple[float, float],
    ratio: tuple[float, float],
) -> torch.Tensor:
    """Crop a random box of each image (area fraction in ``scale``, aspect in ``ratio``) and
    resize it back to the input size (bilinear: ``roi_align`` with one sample per output
    pixel; crops are never larger than the input, so this only upsamples)."""
    n, _, h, w = x.shape
    tries = 10
    area = _uniform(gen, n * tries, *scale) * (h * w)
    logr = _uniform(gen, n * tries, math.log(ratio[0]), math.log(ratio[1]))
    bw = torch.sqrt(area * torch.exp(logr)).view(n, tries)
    bh = torch.sqrt(area / torch.exp(logr)).view(n, tries)
    ok = (bw <= w) & (bh <= h)
    first = torch.where(ok.any(1), ok.float().argmax(1), torch.full((n,), -1))
    rows = torch.arange(n)
    cw = torch.where(first >= 0, bw[rows, first.clamp(min=0)], torch.tensor(float(w)))
    ch = torch.where(first >= 0, bh[rows, first.clamp(min=0)], torch.tensor(float(h)))
    x0 = torch.rand(n, generator=gen) * (w - cw)
    y0 = torch.rand(n, generator=gen) * (h - ch)
    boxes = torch.stack([rows.float(), x0, y0, x0 + cw, y0 + ch], 1).to(x.device, x.dtype)
    return roi_align(x, boxes, output_size=(h, w), spatial_scale=1.0, sampling_ratio=1,
                     aligned=True)


def color_jitter(x: torch.Tensor, gen: torch.Generator, strength: float) -> torch.Tensor:
    """Brightness, contrast, saturation (each 0.8*strength) and hue (0.2*strength)."""
    n = x.shape[0]
    dev = x.device
    s = 0.8 * strength

    def factor() -> torch.Tensor:
        return _uniform(gen, n, max(0.0, 1 - s), 1 + s).to(dev).view(n, 1, 1, 1)

    x = (x * factor()).clamp(0, 1)
    m = _gray(x).mean(dim=(1, 2, 3), keepdim=True)
    x = ((x - m) * factor() + m).clamp(0, 1)
    g = _gray(x)
    x = ((x - g) * factor() + g).clamp(0, 1)
    theta = _uniform(gen, n, -0.2 * strength, 0.2 * strength) * 2 * math.pi
    cos, sin = torch.cos(theta), torch.sin(theta)
    rot = torch.zeros(n, 3, 3)
    rot[:, 0, 0] = 1
    rot[:, 1, 1], rot[:, 1, 2], rot[:, 2, 1], rot[:, 2, 2] = cos, -sin, sin, cos
    t = _RGB2YIQ
    mats = (torch.linalg.inv(t) @ rot @ t).to(dev, x.dtype)
    return torch.einsum("nij,njhw->nihw", mats, x).clamp(0, 1)


def gaussian_blur(x: torch.Tensor, gen: torch.Generator, sigma: tuple[float, float]
                  ) -> torch.Tensor:
    """Separable Gaussian blur with a random sigma per image; kernel ~10% of the short side."""
    n, c, h, w = x.shape
    k = max(3, int(0.1 * min(h, w)) | 1)
    sig = _uniform(gen, n, *sigma).view(n, 1)
    r = torch.arange(k, dtype=torch.float32) - k // 2
    kern = torch.exp(-(r.view(1, k) ** 2) / (2 * sig**2))
    kern = (kern / kern.sum(1, keepdim=True)).repeat_interleave(c, 0).to(x.device, x.dtype)
    y = x.reshape(1, n * c, h, w)
    mode = "reflect" if min(h, w) > k // 2 else "replicate"
    y = F.pad(y, (k // 2, k // 2, k // 2, k // 2), mode=mode)
    y = F.conv2d(y, kern.view(n * c, 1, k, 1), groups=n * c)
    y = F.conv2d(y, kern.view(n * c, 1, 1, k), groups=n * c)
    return y.view(n, c, h, w)


def augment(x: torch.Tensor, gen: torch.Generator, cfg: ViewConfig) -> torch.Tensor:
    """One random view of each image of a ``(N, 3, H, W)`` batch in [0, 1]."""
    n = x.shape[0]
    dev = x.device

    def where(mask: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.where(mask.to(dev).view(n, 1, 1, 1), a, b)

    x = random_resized_crop(x, gen, cfg.crop_scale, cfg.crop_ratio)
    x = where(_coin(gen, n, cfg.flip_p), x.flip(-1), x)
    if cfg.jitter_p > 0 and cfg.jitter_strength > 0:
        x = where(_coin(gen, n, cfg.jitter_p), color_jitter(x, gen, cfg.jitter_strength), x)
    if cfg.gray_p > 0:
        x = where(_coin(gen, n, cfg.gray_p), _gray(x).expand_as(x), x)
    if cfg.blur_p > 0:
        x = where(_coin(gen, n, cfg.blur_p), gaussian_blur(x, gen, cfg.blur_sigma), x)
    return x.contiguous()


class PairSampler:
    """Draws batches of (anchor, positive) frame indices for SwAV.

    Sources with a single frame (still images) pair a frame with itself (the two views then
    differ by augmentation only). Sources with many frames (videos) pair frames at most
    ``window_s`` apart and keep the anchors of one batch at least ``gap_s`` apart.
    """

    def __init__(
        self,
        source_ids: np.ndarray,
        timestamps: np.ndarray,
        batch_size: int,
        gap_s: float = 10.0,
        window_s: float = 1.0,
        seed: int = 0,
    ) -> None:
        self.n = len(source_ids)
        if self.n == 0:
            raise ValueError("no frames to sample from")
        self.batch_size = min(batch_size, self.n)
        self.window_s = window_s
        self.rng = np.random.default_rng(seed)
        self.source_ids = np.asarray(source_ids, dtype=np.int64)
        self.timestamps = np.asarray(timestamps, dtype=np.float64)
        # per source: global indices sorted by time, and those times
        order = np.lexsort((self.timestamps, self.source_ids))
        sids = self.source_ids[order]
        cuts = np.flatnonzero(np.diff(sids)) + 1
        self.groups = {int(g[0]): idx for g, idx in
                       zip(np.split(sids, cuts), np.split(order, cuts), strict=True)}
        self.group_times = {s: self.timestamps[idx] for s, idx in self.groups.items()}
        # position of each frame inside its group
        self.pos = np.empty(self.n, dtype=np.int64)
        for idx in self.groups.values():
            self.pos[idx] = np.arange(len(idx))
        self.temporal = any(len(idx) > 1 for idx in self.groups.values())
        self.requested_gap_s = gap_s
        self.gap_s = self._fit_gap(gap_s) if self.temporal else 0.0
        self.shortfall_batches = 0
        self._perm: np.ndarray = np.empty(0, dtype=np.int64)
        self._perm_pos = 0

    def capacity(self, gap: float) -> int:
        """How many anchors at least ``gap`` apart fit, at most, in the dataset."""
        total = 0
        for t in self.group_times.values():
            span = float(t[-1] - t[0])
            total += min(len(t), int(math.floor(span / gap)) + 1) if gap > 0 else len(t)
        return total

    def _fit_gap(self, gap: float) -> float:
        need = math.ceil(1.5 * self.batch_size)
        if gap <= 0 or self.capacity(gap) >= need:
            return gap
        lo, hi = 0.0, gap
        for _ in range(40):  # bisection for the largest gap whose capacity suffices
            mid = (lo + hi) / 2
            if self.capacity(mid) >= need:
                lo = mid
            else:
                hi = mid
        log.warning(
            "videos too short for a %.1f s gap between the %d frames of a batch "
            "(room for %d); using a %.2f s gap instead",
            gap, self.batch_size, self.capacity(gap), lo,
        )
        return lo

    def steps_per_epoch(self) -> int:
        return max(1, self.n // self.batch_size)

    def _anchors_images(self) -> np.ndarray:
        """Non-temporal data: walk a fresh permutation per epoch (each image once)."""
        b = self.batch_size
        if self._perm_pos + b > len(self._perm):
            self._perm = self.rng.permutation(self.n)
            self._perm_pos = 0
        out = self._perm[self._perm_pos : self._perm_pos + b]
        self._perm_pos += b
        return out

    def _anchors_temporal(self) -> np.ndarray:
        b, gap = self.batch_size, self.gap_s
        kept: list[int] = []
        taken: dict[int, list[float]] = {}
        chosen: set[int] = set()
        max_draws = 50 * b
        draws = 0
        while len(kept) < b and draws < max_draws:
            for i in self.rng.integers(0, self.n, size=4 * b):
                draws += 1
                i = int(i)
                if i in chosen:
                    continue
                s, t = int(self.source_ids[i]), float(self.timestamps[i])
                times = taken.setdefault(s, [])
                if any(abs(t - u) < gap for u in times):
                    continue
                times.append(t)
                kept.append(i)
                chosen.add(i)
                if len(kept) == b:
                    break
        if len(kept) < b:  # rejection sampling stalled: fill with any unused frames
            self.shortfall_batches += 1
            if self.shortfall_batches == 1:
                log.warning("could only draw %d of %d temporally distant frames; "
                            "filling the batch with random frames", len(kept), b)
            rest = np.setdiff1d(self.rng.permutation(self.n), np.fromiter(chosen, np.int64),
                                assume_unique=True)
            kept.extend(int(i) for i in rest[: b - len(kept)])
        return np.asarray(kept, dtype=np.int64)

    def positives(self, anchors: np.ndarray) -> np.ndarray:
        """For each anchor, a random other frame of its source within ``window_s``."""
        out = anchors.copy()
        for k, i in enumerate(anchors):
            s = int(self.source_ids[i])
            times = self.group_times[s]
            if len(times) == 1:
                continue
            t = self.timestamps[i]
            lo = int(np.searchsorted(times, t - self.window_s, side="left"))
            hi = int(np.searchsorted(times, t + self.window_s, side="right"))
            if hi - lo <= 1:
                continue
            p = int(self.pos[i])
            j = int(self.rng.integers(lo, hi - 1))
            j = j + 1 if j >= p else j  # skip the anchor itself
            out[k] = self.groups[s][j]
        return out

    def batch(self) -> tuple[np.ndarray, np.ndarray]:
        """``(anchors, positives)``, two int64 arrays of global frame indices."""
        anchors = self._anchors_temporal() if self.temporal else self._anchors_images()
        return anchors, self.positives(anchors)
