"""One optimisation step: draw a batch, forward under autocast (fp16 on CUDA), backward, Adam.

A non-finite loss skips the update (it is not added to the loss history); 20 of them on CPU stop
the run with a one-line error (on CUDA the gradient scaler backs off instead).
"""

from __future__ import annotations

import logging
import math

import torch

from farpoint.errors import InputError
from farpoint.train.build import TrainRun

log = logging.getLogger(__name__)
MAX_NONFINITE_CPU = 20


def train_step(run: TrainRun) -> float:
    """Run one step on ``run`` and return its loss (NaN/inf when the step was skipped)."""
    m, opt, scaler = run.method, run.optimizer, run.scaler
    batch = m.next_batch()
    m.before_step()
    with torch.autocast(device_type=run.device.type, dtype=torch.float16, enabled=run.amp):
        loss = m.loss(batch)
    opt.zero_grad(set_to_none=True)
    value = float(loss.detach())
    if not math.isfinite(value):
        run.nonfinite += 1
        if run.nonfinite in (1, 10, 100):
            log.warning("non-finite loss at step %d (skipped, %d so far)", run.step, run.nonfinite)
        if not run.amp and run.nonfinite >= MAX_NONFINITE_CPU:
            raise InputError(
                "training diverged (non-finite loss 20 times); lower --lr or check the input"
            )
    else:
        scaler.scale(loss).backward()
        m.after_backward(run.step)
        scaler.step(opt)
        scaler.update()
        run.losses.append(value)
    run.step += 1
    run.images_seen += m.batch_size
    return value
