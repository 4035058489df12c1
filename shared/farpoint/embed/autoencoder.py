"""The ``autoencoder`` embedder: the bottleneck of an autoencoder trained by ``farpoint train``
(paper §2.4, §3.2.2; 8-d by default). ``model`` is a ``farpoint.model/1`` file (local path or
``s3://`` URI); see docs/training.md.
"""

from __future__ import annotations

from farpoint.models.inference import TrainedEmbedder


class AutoencoderEmbedder(TrainedEmbedder):
    name = "autoencoder"
    method = "autoencoder"
    batch_size = 512
