"""What every export format writes from: one :class:`ExportItem` per pick, in pick order.

An item is a pick as a labeling tool sees it: the frame's image (its file name inside the result
and a URL the tool can reach: a ``file://`` URL or a path for the CLI, a presigned ``https://`` or
``s3://`` URL for the services) and its video context (source URI, frame index, timestamp). A
format's writer turns the items into files, ``{relative name: bytes}``, so the same writer serves
a local folder and a bucket (:func:`farpoint.export.formats.write_exports`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

# The video context every format carries for every pick (and the tests check it survives).
CONTEXT_FIELDS = ("source", "frame_index", "timestamp_s", "rank", "distance")


@dataclass(frozen=True)
class ExportItem:
    """One picked frame, ready for a labeling tool.

    ``file`` is the frame's name relative to the result root (``frames/00000_x_f000120.jpg``);
    ``url`` is where the tool fetches it; ``width`` / ``height`` are the full-size JPEG's.
    ``distance`` is the covering radius when it was picked (None for the first / random picks).
    """

    rank: int
    source: str
    frame_index: int
    timestamp_s: float
    distance: float | None
    file: str
    url: str
    width: int
    height: int

    @property
    def name(self) -> str:
        """The image's file name (unique per result: it starts with the rank)."""
        return self.file.rsplit("/", 1)[-1]

    def context(self) -> dict[str, Any]:
        """The video context: source URI, frame index, timestamp, rank, distance."""
        return {f: getattr(self, f) for f in CONTEXT_FIELDS}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


Files = dict[str, bytes]
Writer = Callable[[Sequence[ExportItem], dict[str, Any]], Files]


@dataclass(frozen=True)
class ExportFormat:
    """One export format: what users see of it, and its writer.

    ``files`` names what the writer produces (relative to ``exports/``); ``main`` is the one to
    hand to the tool (the file a REST client downloads). ``writer`` is ``"module:function"``,
    imported on first use; it takes ``(items, manifest)`` and returns ``{name: bytes}``.
    """

    name: str
    summary: str  # one line: CLI help, OpenAPI description, docs table
    tool: str  # the labeling tool and how it loads the export
    reference: str  # the published format
    main: str
    media_type: str
    writer: str
