"""The evaluation's pools and probe for the bench/eval_*.py scripts (one home for their loops).

:func:`pools` yields every (dataset, pool seed, setting) pool embedded the way ``farpoint eval``
embeds it — ImageNet features, PCA-20 for the selection, pool-standardized features for the
linear probe — and :meth:`Pool.accuracy` trains that probe on some picks
(farpoint.eval.linear).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from farpoint.eval.data import LabeledSet, load_dataset
from farpoint.eval.derive import Derived, derive
from farpoint.eval.features import EmbedderSpec, embed_images, normalized
from farpoint.eval.linear import FrozenFeatures, LinearProbeConfig, train_linear_probe

SPEC = EmbedderSpec("imagenet", None)
PROBE = LinearProbeConfig()


@dataclass
class Pool:
    dataset: str
    seed: int
    setting: str
    n_classes: int
    test: LabeledSet
    derived: Derived
    x: np.ndarray  # what the selection sees (PCA-20)
    feats: FrozenFeatures  # what the probe reads

    def accuracy(self, idx: np.ndarray, seed: int) -> float:
        """Test accuracy of the linear probe trained on the rows ``idx`` (iteration ``seed``)."""
        acc, _ = train_linear_probe(
            self.feats.pool[idx], self.derived.pool.labels[idx], self.feats.test,
            self.test.labels, n_classes=self.n_classes, seed=seed, config=PROBE,
        )  # fmt: skip
        return float(acc)


def add_arguments(ap: argparse.ArgumentParser, *, out: str, budgets: str = "1,2,5,10") -> None:
    """The options every bench/eval_*.py script shares (``--seeds`` is the caller's)."""
    ap.add_argument("--datasets", default="fashion-mnist,digits")
    ap.add_argument("--settings", default="redundant,redundant-shift")
    ap.add_argument("--budgets", default=budgets, help="labels per class")
    ap.add_argument("--iterations", type=int, default=50)
    ap.add_argument("--pool-size", type=int, default=2000)
    ap.add_argument("--out", default=out)


def pools(datasets: str, seeds: list[int], settings: str, pool_size: int) -> Iterator[Pool]:
    """Every pool, embedded (the caller limits threads: ``threadpool_limits(1)``)."""
    for dname in datasets.split(","):
        for seed in seeds:
            ds = load_dataset(dname, pool_size=pool_size, seed=seed)
            test = embed_images(ds.test.images, SPEC, "cpu")
            for setting in settings.split(","):
                der = derive(ds.pool, setting, seed=seed)
                emb = embed_images(der.pool.images, SPEC, "cpu")
                yield Pool(
                    dname,
                    seed,
                    setting,
                    ds.n_classes,
                    ds.test,
                    der,
                    normalized(emb, "pca"),
                    FrozenFeatures.standardize(emb, test),
                )


def write(
    out: str, args: argparse.Namespace, cells: list[dict[str, Any]], table: list[str]
) -> None:
    """``out`` (.md: the table), the .json beside it (arguments, every cell); echoes the table."""
    path = Path(out)
    path.with_suffix(".json").write_text(json.dumps({"args": vars(args), "cells": cells}, indent=1))
    path.write_text("\n".join(table) + "\n")
    sys.stdout.write("\n".join(table) + "\n")
