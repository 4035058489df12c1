"""``farpoint train``: self-supervised embedders trained on the user's own frames (paper §2.4–2.5,
§3.2, §3.4, §5.1.2).

* :mod:`~farpoint.train.methods`     the method protocol and the registry of methods;
* :mod:`~farpoint.train.dataset`     frame datasets in the one shard format
  (:mod:`farpoint.ingest.shards`), :class:`FrameSet`, ``open_shards`` (a job's shards too);
* :mod:`~farpoint.train.frames`      decode the inputs once into a cached dataset;
* :mod:`~farpoint.train.views`       batched image augmentations and temporal positive pairs;
* :mod:`~farpoint.train.swav`        the SwAV data adapter (model + loss: farpoint.models.swav);
* :mod:`~farpoint.train.autoencoder` the autoencoder adapter (L2 reconstruction, no augmentation);
* :mod:`~farpoint.train.build`       a run: method, optimizer, scaler, counters;
* :mod:`~farpoint.train.step`        one optimisation step;
* :mod:`~farpoint.train.checkpoint`  the one-file model format ``farpoint.model/1``, ``save_run``;
* :mod:`~farpoint.train.resume`      continue a run from a model file;
* :mod:`~farpoint.train.loop`        :func:`train` — repeat steps until epochs or budget are spent;
* :mod:`~farpoint.train.duration`, :mod:`~farpoint.train.plot`, :mod:`~farpoint.train.output`
  — ``--time-budget`` parsing, the loss-curve PNG, local or ``s3://`` model outputs;
* :mod:`~farpoint.train.cli`         the ``farpoint train`` sub-command.

Importing this package does not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from farpoint.train.loop import train

__all__ = ["train"]


def __getattr__(name: str) -> Any:
    if name == "train":
        from farpoint.train.loop import train

        return train
    raise AttributeError(name)
