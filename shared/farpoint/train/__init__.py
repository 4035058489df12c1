"""``farpoint train``: self-supervised embedders trained on the user's own frames (paper §2.4–2.5,
§3.2, §3.4, §5.1.2).

* :mod:`~farpoint.train.dataset`     decode inputs into uint8 frame shards in a store;
* :mod:`~farpoint.train.views`       batched image augmentations and temporal positive pairs;
* :mod:`~farpoint.train.swav`        Sinkhorn-Knopp, swapped-prediction loss, the SwAV model;
* :mod:`~farpoint.train.autoencoder` the autoencoder method (L2 reconstruction, no augmentation);
* :mod:`~farpoint.train.checkpoint`  the one-file model format ``farpoint.model/1``;
* :mod:`~farpoint.train.loop`        :func:`train` — the training loop;
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
