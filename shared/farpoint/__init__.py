"""farpoint: pick the most valuable frames and images to label.

The method follows "Selection of training data for deep learning" (the seed paper, see
docs/architecture.md): embed every frame, normalize the embedding space with UMAP, then greedily
pick the points farthest from everything already picked (the paper's Algorithm 1).

Python API::

    import farpoint
    result = farpoint.select(["video.mp4"], k=100, out="picks/")
    result.picks  # list of Pick(source, frame_index, timestamp_s, rank, distance)

    idx = farpoint.select_vectors(vectors, k=100).indices
    farpoint.export_result("picks/", "coco,label-studio")  # exports for labeling tools
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from farpoint.export.formats import export_result
    from farpoint.pipeline import select, select_vectors


def __getattr__(name: str) -> Any:
    # Lazy: importing farpoint must not import torch.
    if name in {"select", "select_vectors"}:
        from farpoint import pipeline

        return getattr(pipeline, name)
    if name == "export_result":
        from farpoint.export.formats import export_result

        return export_result
    raise AttributeError(name)


__all__ = ["export_result", "select", "select_vectors", "__version__"]
