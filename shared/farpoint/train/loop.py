"""The training loop behind ``farpoint train`` (seed paper §3.2, §3.4, §5.1.2 "training").

``train(inputs, method, out)`` decodes the inputs into frame shards (:mod:`.frames`, cached and
reused by later runs and ``--resume``), builds the run (:mod:`.build`: the method from the
registry of :mod:`.methods`, Adam, the gradient scaler), restores it with ``resume``
(:mod:`.resume`), and repeats :func:`~farpoint.train.step.train_step` until ``epochs`` are done or
``time_budget_s`` has passed (whichever first). On CUDA it uses mixed precision; on CPU it is
deterministic for a given seed. It writes one model file (:func:`.checkpoint.save_run`) — also
every ``checkpoint_every_s`` seconds and on Ctrl-C — and a loss-curve PNG beside it (:mod:`.plot`).

An *epoch* is ``len(frames) // batch_size`` steps; a step draws one batch (for SwAV, a batch
of pairs: two views each). With ``resume``, training continues for ``epochs`` *more* epochs on
whatever data is given (resuming on new data fine-tunes).
"""

from __future__ import annotations

import logging
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from farpoint.train.dataset import FrameSet
from farpoint.train.methods import check_method

log = logging.getLogger(__name__)


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
    from farpoint.train.frames import prepare_frames

    check_method(method)
    frames = prepare_frames(
        inputs, width=width, fps=fps, frames_dir=frames_dir, max_frames=max_frames
    )
    return train_on_frames(frames, method, out, **kwargs)


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
    from farpoint.train.build import build_run, check_stop
    from farpoint.train.checkpoint import save_run
    from farpoint.train.output import ModelOutput
    from farpoint.train.plot import loss_plot_path, save_loss_plot
    from farpoint.train.resume import read_resume, restore
    from farpoint.train.step import train_step

    check_method(method)
    epochs = check_stop(epochs, time_budget_s, max_steps)
    blob = read_resume(resume, method) if resume is not None else None
    options: dict[str, Any] = {"gap_s": gap_s, "window_s": window_s} if method == "swav" else {}
    run = build_run(
        frames,
        method,
        config={"swav": swav, "autoencoder": autoencoder}.get(method),
        batch_size=batch_size,
        seed=seed,
        device=device,
        lr=lr,
        resume_blob=blob,
        **options,
    )
    if batch_size and run.method.batch_size < batch_size:
        log.warning(
            "only %d frames: batch size lowered from %d to %d",
            len(frames),
            batch_size,
            run.method.batch_size,
        )
    if blob is not None:
        restore(run, blob)
    spe = run.method.steps_per_epoch()
    total = None if epochs is None else max(1, round(epochs * spe))
    if max_steps is not None:
        total = max_steps if total is None else min(total, max_steps)
    output = ModelOutput.of(out)

    def save(final: bool) -> None:
        digest = save_run(run, output.local, final)
        if final:
            png = loss_plot_path(output.local)
            save_loss_plot(run.losses, png, f"farpoint train --method {method} ({run.step} steps)")
            output.publish(Path(png), loss_plot_path(output.target))
            log.info(
                "model written to %s (%s), loss curve %s",
                output.target,
                digest[:19],
                loss_plot_path(output.target),
            )
        output.publish(output.local, output.target)

    from tqdm import tqdm

    bar = tqdm(
        total=total if total is not None else round(time_budget_s or 0),
        unit="step" if total is not None else "s",
        disable=not progress,
        file=sys.stderr,
        dynamic_ncols=True,
        leave=True,
    )
    run.method.model.train()
    t_start = last_save = time.monotonic()
    ema: float | None = None
    done = 0
    try:
        while not (
            (total is not None and done >= total)
            or (time_budget_s is not None and time.monotonic() - t_start >= time_budget_s)
        ):
            value = train_step(run)
            done += 1
            now = time.monotonic()
            ema = value if ema is None or not math.isfinite(ema) else 0.9 * ema + 0.1 * value
            bar.set_postfix(
                loss=f"{ema:.4f}",
                epoch=f"{run.step / spe:.2f}",
                refresh=False,
                img_s=f"{done * run.method.batch_size / max(now - t_start, 1e-9):.1f}",
            )
            if total is not None:
                bar.update(1)
            else:
                bar.n = min(round(now - t_start), bar.total)
                bar.refresh()
            if now - last_save >= checkpoint_every_s:
                run.train_seconds += now - last_save
                last_save = now
                save(final=False)
    except KeyboardInterrupt:
        bar.close()
        run.train_seconds += time.monotonic() - last_save
        log.warning(
            "interrupted at step %d; saving %s (resume with --resume)", run.step, output.target
        )
        save(final=True)
        raise
    bar.close()
    run.train_seconds += time.monotonic() - last_save
    if done == 0:
        log.warning("no training step fit in the budget; the model is untrained")
    save(final=True)
    return output.result()
