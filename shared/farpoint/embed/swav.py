"""The ``swav`` embedder: a network trained with SwAV by ``farpoint train`` (paper §2.5, §3.2.3).

The embedding is the backbone's global-average-pooled feature — 1280-d for the default
EfficientNet-Lite0 backbone (started from ImageNet weights, last blocks fine-tuned), 512-d for a
standard ResNet18 trained from random weights: the projection head and prototypes are
training-only. The checkpoint's ``arch`` names the backbone, rebuilt by
:func:`farpoint.models.backbones.build_backbone`. ``model`` is a ``farpoint.model/1`` file
(local path or ``s3://`` URI); see docs/training.md.
"""

from __future__ import annotations

from farpoint.models.inference import TrainedEmbedder


class SwavEmbedder(TrainedEmbedder):
    name = "swav"
    method = "swav"
    batch_size = 256
