"""The ``swav`` embedder: a ResNet18 trained with SwAV by ``farpoint train`` (paper §2.5, §3.2.3).

The embedding is the backbone's global-average-pooled feature (512-d for a standard ResNet18):
the projection head and prototypes are training-only. ``model`` is a ``farpoint.model/1`` file
(local path or ``s3://`` URI); see docs/training.md.
"""

from __future__ import annotations

from farpoint.models.inference import TrainedEmbedder


class SwavEmbedder(TrainedEmbedder):
    name = "swav"
    method = "swav"
    batch_size = 256
