"""``--resume``: continue a run from a model file's weights, optimizer state and counters.

The checkpoint decides the architecture and input size (:func:`farpoint.train.build.build_run`
is given the blob); random streams are re-seeded from ``seed + step``, so a resumed run is not
bit-identical to an uninterrupted one.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from farpoint.errors import InputError
from farpoint.train.build import TrainRun
from farpoint.train.checkpoint import read_checkpoint

log = logging.getLogger(__name__)


def read_resume(path: str | Path, method: str) -> dict[str, Any]:
    """The checkpoint blob to resume from, checked against ``method``."""
    blob = read_checkpoint(path)
    if blob["method"] != method:
        raise InputError(f"{path} was trained with --method {blob['method']}, not {method}")
    if not blob.get("train_state"):
        raise InputError(f"{path} holds no training state; it cannot be resumed")
    return blob


def restore(run: TrainRun, blob: dict[str, Any]) -> None:
    """Load weights, optimizer state, loss history and counters of ``blob`` into ``run``."""
    ts = blob["train_state"]
    prefix = ts["encoder_prefix"]
    full = {prefix + k: v for k, v in blob["encoder"].items()}
    full.update(ts["model_rest"])
    run.method.model.load_state_dict(full)
    run.optimizer.load_state_dict(ts["optimizer"])
    meta = blob["meta"]
    run.step = int(ts["step"])
    run.losses = [float(v) for v in meta.get("loss_history", [])]
    run.images_seen = int(meta.get("images_seen", 0))
    run.train_seconds = float(meta.get("train_seconds", 0.0))
    run.started = str(meta.get("started", run.started))
    log.info("resuming from step %d", run.step)
