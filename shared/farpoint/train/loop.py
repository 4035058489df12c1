"""The training loop behind ``farpoint train`` (seed paper §3.2, §3.4, §5.1.2 "training").

``train(inputs, method, out)`` decodes the inputs into frame shards (cached, reused by later runs
and ``--resume``), builds the method (:class:`~farpoint.train.swav.SwavMethod` or
:class:`~farpoint.train.autoencoder.AutoencoderMethod`), and optimises with Adam until
``epochs`` are done or ``time_budget_s`` has passed (whichever first). On CUDA it uses mixed
precision (fp16 autocast + gradient scaling); on CPU it is deterministic for a given seed. It
writes one model file (docs/training.md, :mod:`farpoint.train.checkpoint`) — also every
``checkpoint_every_s`` seconds and on Ctrl-C — and a loss-curve PNG beside it.

An *epoch* is ``len(frames) // batch_size`` steps; a step draws one batch (for SwAV, a batch
of pairs: two views each). With ``resume``, training continues from the checkpoint's weights,
optimizer state and counters for ``epochs`` *more* epochs, on whatever data is given (resuming
on new data fine-tunes); random streams are re-seeded from ``seed + step``, so a resumed run is
not bit-identical to an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from farpoint.errors import InputError
from farpoint.train.checkpoint import METHODS, read_checkpoint, save_checkpoint
from farpoint.train.dataset import FrameSet

log = logging.getLogger(__name__)

DEFAULT_EPOCHS = 10
DEFAULT_BATCH = {"swav": 64, "autoencoder": 128}

_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|sec|m|min|h|hr|d)?\s*$", re.I)
_UNIT_S = {None: 1.0, "ms": 1e-3, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0,
           "hr": 3600.0, "d": 86400.0}


def parse_duration(text: str | float | int) -> float:
    """``"90s"``, ``"10m"``, ``"1h"``, ``"1.5h"``, ``"45"`` (seconds) -> seconds (> 0)."""
    if isinstance(text, (int, float)):
        seconds = float(text)
    else:
        m = _DURATION.match(text)
        if not m:
            raise InputError(f"bad duration {text!r}; use e.g. 90s, 10m, 1h")
        seconds = float(m.group(1)) * _UNIT_S[m.group(2).lower() if m.group(2) else None]
    if not seconds > 0 or not math.isfinite(seconds):
        raise InputError(f"duration must be positive, got {text!r}")
    return seconds


def _frames_key(files: Sequence[Path], width: int, fps: float) -> str:
    h = hashlib.sha256(f"{width}|{fps}".encode())
    for f in files:
        st = f.stat()
        h.update(f"|{f.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode())
    return h.hexdigest()[:20]


def prepare_frames(
    inputs: Sequence[str | Path],
    *,
    width: int = 100,
    fps: float = 10.0,
    frames_dir: str | Path | None = None,
    max_frames: int | None = None,
) -> FrameSet:
    """Decode ``inputs`` into a cached frame dataset (or reuse it) and open it."""
    from farpoint.errors import NotFoundError
    from farpoint.ingest import expand_inputs
    from farpoint.store.local import LocalStore
    from farpoint.train.dataset import build_frame_dataset, has_frame_dataset, load_frame_set

    if not inputs:
        raise InputError("farpoint train needs at least one input (videos, images or folders)")
    try:
        files = expand_inputs(inputs)
    except NotFoundError as exc:
        raise InputError(exc.message) from None
    if frames_dir is None:
        from farpoint.settings import get_settings

        key = _frames_key(files, width, fps) + (f"-{max_frames}" if max_frames else "")
        frames_dir = get_settings().cache_dir / "frames" / key
    store = LocalStore(frames_dir)
    if has_frame_dataset(store):
        log.info("reusing decoded frames in %s", frames_dir)
    else:
        log.info("decoding %d input file(s) into %s", len(files), frames_dir)
        build_frame_dataset(files, store, width=width, fps=fps, max_frames=max_frames)
    return load_frame_set(store)


def train(
    inputs: Sequence[str | Path],
    method: str,
    out: str | Path,
    *,
    width: int = 100,
    fps: float = 10.0,
    frames_dir: str | Path | None = None,
    max_frames: int | None = None,
    **kwargs: Any,
) -> Path | str:
    """Train ``method`` on frames decoded from ``inputs``; return the model path (or URI).

    ``kwargs`` go to :func:`train_on_frames` (epochs, time_budget_s, batch_size, seed, resume,
    device, progress, swav, autoencoder, gap_s, window_s, ...).
    """
    _check_method(method)
    frames = prepare_frames(inputs, width=width, fps=fps, frames_dir=frames_dir,
                            max_frames=max_frames)
    return train_on_frames(frames, method, out, **kwargs)


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise InputError(f"unknown training method {method!r}; choose one of {', '.join(METHODS)}")


def loss_plot_path(out: str | Path) -> str:
    """``model.pt`` -> ``model.loss.png`` (beside the model)."""
    text = str(out)
    stem = text[: -len(Path(text).suffix)] if Path(text).suffix else text
    return stem + ".loss.png"


def save_loss_plot(losses: Sequence[float], path: str | Path, title: str) -> None:
    """Loss per step and its moving average, as a PNG (matplotlib, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    y = np.asarray(losses, dtype=np.float64)
    if len(y):
        ax.plot(np.arange(1, len(y) + 1), y, lw=0.6, alpha=0.4, label="step")
        k = max(1, len(y) // 50)
        if k > 1:
            ma = np.convolve(y, np.ones(k) / k, mode="valid")
            ax.plot(np.arange(k, len(y) + 1), ma, lw=1.5, label=f"mean of {k}")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _publish(local: Path, uri: str) -> None:
    from farpoint.settings import get_settings
    from farpoint.store.s3 import S3Store

    bucket, _, key = uri[5:].partition("/")
    if not bucket or not key:
        raise InputError(f"bad object URI {uri!r}; expected s3://bucket/key")
    S3Store.from_settings(get_settings().s3, bucket=bucket).put_file(key, local)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def train_on_frames(
    frames: FrameSet,
    method: str,
    out: str | Path,
    *,
    epochs: float | None = None,
    time_budget_s: float | None = None,
    batch_size: int | None = None,
    seed: int = 0,
    resume: str | Path | None = None,
    device: str = "auto",
    progress: bool = True,
    swav: Any = None,
    autoencoder: Any = None,
    gap_s: float = 10.0,
    window_s: float = 1.0,
    lr: float | None = None,
    checkpoint_every_s: float = 300.0,
    max_steps: int | None = None,
) -> Path | str:
    """Train on an opened :class:`FrameSet`; see :func:`train` and the module docstring."""
    from farpoint import __version__
    from farpoint.embed.base import resolve_device
    from farpoint.train.autoencoder import AutoencoderConfig, AutoencoderMethod
    from farpoint.train.swav import SwavConfig, SwavMethod

    _check_method(method)
    if epochs is not None and not epochs > 0:
        raise InputError(f"--epochs must be positive, got {epochs}")
    if time_budget_s is not None and not time_budget_s > 0:
        raise InputError(f"--time-budget must be positive, got {time_budget_s}")
    if batch_size is not None and batch_size < 2:
        raise InputError(f"--batch-size must be at least 2, got {batch_size}")
    if epochs is None and time_budget_s is None and max_steps is None:
        epochs = DEFAULT_EPOCHS
    if len(frames) < 2:
        raise InputError(f"training needs at least 2 frames, got {len(frames)}")
    dev_name = resolve_device(device)
    if dev_name == "cuda" and not torch.cuda.is_available():
        raise InputError("--device cuda asked for, but no CUDA GPU is visible")
    dev = torch.device(dev_name)
    amp = dev.type == "cuda"

    blob: dict[str, Any] | None = None
    if resume is not None:
        blob = read_checkpoint(resume)
        if blob["method"] != method:
            raise InputError(f"{resume} was trained with --method {blob['method']}, not {method}")
        if not blob.get("train_state"):
            raise InputError(f"{resume} holds no training state; it cannot be resumed")
    step0 = int(blob["train_state"]["step"]) if blob else 0

    torch.manual_seed(seed + step0)
    bs = batch_size or DEFAULT_BATCH[method]
    arch_in = blob["arch"] if blob else None
    input_in = blob["input"] if blob else None
    m: Any
    if method == "swav":
        cfg = swav or SwavConfig()
        if lr is not None:
            cfg.lr = lr
        m = SwavMethod(frames, cfg, bs, seed + step0, dev, input_spec=input_in, arch=arch_in,
                       gap_s=gap_s, window_s=window_s)
    else:
        cfg = autoencoder or AutoencoderConfig()
        if lr is not None:
            cfg.lr = lr
        m = AutoencoderMethod(frames, cfg, bs, seed + step0, dev, input_spec=input_in,
                              arch=arch_in)
    if m.batch_size < bs:
        log.warning("only %d frames: batch size lowered from %d to %d", len(frames), bs,
                    m.batch_size)
    opt = torch.optim.Adam(m.model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    scaler = torch.amp.GradScaler("cuda", enabled=amp)
    losses: list[float] = []
    images_seen = 0
    train_seconds = 0.0
    started = _now()
    if blob is not None:
        ts = blob["train_state"]
        prefix = ts["encoder_prefix"]
        full = {prefix + k: v for k, v in blob["encoder"].items()}
        full.update(ts["model_rest"])
        m.model.load_state_dict(full)
        opt.load_state_dict(ts["optimizer"])
        losses = [float(v) for v in blob["meta"].get("loss_history", [])]
        images_seen = int(blob["meta"].get("images_seen", 0))
        train_seconds = float(blob["meta"].get("train_seconds", 0.0))
        started = str(blob["meta"].get("started", started))
        log.info("resuming %s from step %d", resume, step0)

    spe = m.steps_per_epoch()
    total_steps = None if epochs is None else max(1, round(epochs * spe))
    if max_steps is not None:
        total_steps = max_steps if total_steps is None else min(total_steps, max_steps)

    out_text = str(out)
    remote = out_text.startswith("s3://")
    local_out = (Path(tempfile.mkdtemp(prefix="farpoint-train-")) / Path(out_text[5:]).name
                 if remote else Path(out_text).expanduser())

    step = step0
    enc_prefix = next(name for name, mod in m.model.named_children() if mod is m.encoder) + "."

    def save(final: bool) -> None:
        meta = {
            "epochs": round(step / spe, 4),
            "steps": step,
            "steps_per_epoch": spe,
            "images_seen": images_seen,
            "seed": seed,
            "batch_size": m.batch_size,
            "lr": cfg.lr,
            "device": dev_name,
            "amp": amp,
            "method_config": cfg.as_dict(),
            "views": m.views_info,
            "data": frames.describe(),
            "started": started,
            "finished": _now() if final else None,
            "train_seconds": round(train_seconds, 3),
            "loss_history": [round(v, 6) for v in losses],
            "farpoint_version": __version__,
            "torch_version": torch.__version__,
        }
        digest = save_checkpoint(
            local_out, method=method, arch=m.arch(), input_spec=m.input_spec,
            encoder=m.encoder, meta=json.loads(json.dumps(meta, default=str)),
            train_state={"encoder_prefix": enc_prefix, "optimizer": opt.state_dict(),
                         "step": step,
                         "model_rest": {k: v for k, v in m.model.state_dict().items()
                                        if not k.startswith(enc_prefix)}},
        )
        if final:
            png = loss_plot_path(local_out)
            save_loss_plot(losses, png, f"farpoint train --method {method} ({step} steps)")
            if remote:
                _publish(Path(png), loss_plot_path(out_text))
            log.info("model written to %s (%s), loss curve %s", out_text, digest[:19],
                     loss_plot_path(out_text))
        if remote:
            _publish(local_out, out_text)

    from tqdm import tqdm

    bar = tqdm(total=total_steps if total_steps is not None else round(time_budget_s or 0),
               unit="step" if total_steps is not None else "s", disable=not progress,
               file=sys.stderr, dynamic_ncols=True, leave=True)
    m.model.train()
    t_start = time.monotonic()
    last_save = t_start
    ema: float | None = None
    seen_this_run = 0
    nonfinite = 0
    done_steps = 0
    try:
        while True:
            elapsed = time.monotonic() - t_start
            if total_steps is not None and done_steps >= total_steps:
                break
            if time_budget_s is not None and elapsed >= time_budget_s:
                break
            batch = m.next_batch()
            m.before_step()
            with torch.autocast(device_type=dev.type, dtype=torch.float16, enabled=amp):
                loss = m.loss(batch)
            opt.zero_grad(set_to_none=True)
            value = float(loss.detach())
            if not math.isfinite(value):
                nonfinite += 1
                if nonfinite in (1, 10, 100):
                    log.warning("non-finite loss at step %d (skipped, %d so far)", step, nonfinite)
                if not amp and nonfinite >= 20:
                    raise InputError("training diverged (non-finite loss 20 times); "
                                     "lower --lr or check the input")
            else:
                scaler.scale(loss).backward()
                m.after_backward(step)
                scaler.step(opt)
                scaler.update()
                losses.append(value)
            step += 1
            done_steps += 1
            images_seen += m.batch_size
            seen_this_run += m.batch_size
            now = time.monotonic()
            ema = value if ema is None or not math.isfinite(ema) else 0.9 * ema + 0.1 * value
            rate = seen_this_run / max(now - t_start, 1e-9)
            bar.set_postfix(loss=f"{ema:.4f}", img_s=f"{rate:.1f}",
                            epoch=f"{step / spe:.2f}", refresh=False)
            if total_steps is not None:
                bar.update(1)
            else:
                bar.n = min(round(now - t_start), bar.total)
                bar.refresh()
            if now - last_save >= checkpoint_every_s:
                train_seconds += now - last_save
                last_save = now
                save(final=False)
    except KeyboardInterrupt:
        bar.close()
        train_seconds += time.monotonic() - last_save
        log.warning("interrupted at step %d; saving %s (resume with --resume)", step, out_text)
        save(final=True)
        raise
    bar.close()
    train_seconds += time.monotonic() - last_save
    if done_steps == 0:
        log.warning("no training step fit in the budget; the model is untrained")
    save(final=True)
    return out_text if remote else local_out
