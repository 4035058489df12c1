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

import os
import sys
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# numba's compiled code (the selection engine, dedup, UMAP, pynndescent) persists in the
# environment that holds the packages: <venv>/var/numba-cache, warmed by `make setup`
# (`python -m farpoint.warmup`), so a first call loads machine code instead of compiling it.
# Set here, before anything imports numba, because every farpoint process (the CLI, the
# services, the tests, the Python API) imports this package first; a `.pth` file would change
# every Python program of the venv instead. NUMBA_CACHE_DIR set by the caller wins; outside a
# virtualenv numba keeps its own default (__pycache__ or ~/.cache). See farpoint.jitcache.
if sys.prefix != sys.base_prefix:
    os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(sys.prefix, "var", "numba-cache"))

if TYPE_CHECKING:  # pragma: no cover
    from farpoint.export.formats import export_result
    from farpoint.pipeline import select
    from farpoint.vectors import select_vectors


def __getattr__(name: str) -> Any:
    # Lazy: importing farpoint must not import torch.
    if name == "select":
        from farpoint.pipeline import select

        return select
    if name == "select_vectors":
        from farpoint.vectors import select_vectors

        return select_vectors
    if name == "export_result":
        from farpoint.export.formats import export_result

        return export_result
    raise AttributeError(name)


__all__ = ["export_result", "select", "select_vectors", "__version__"]
