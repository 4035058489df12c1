"""Label Studio: a tasks JSON file (a list of ``{"data": {...}}``) to import into a project.

Format: https://labelstud.io/guide/tasks#Basic-Label-Studio-JSON-format. Each task's ``data``
holds ``image`` (the URL Label Studio loads: presigned ``https://``, ``s3://`` with cloud storage
connected, or a local-files URL) and the video context (``source``, ``frame_index``,
``timestamp_s``, ``rank``, ``distance``), which a labeling config can show with ``$source``.
``meta`` repeats the frame's file name. :data:`LABEL_CONFIG` is a minimal labeling config these
tasks satisfy (an image and a choice); checked with ``label_studio_sdk``'s ``LabelInterface``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from farpoint.export.formats.base import ExportItem, Files

FILE = "label_studio.json"

LABEL_CONFIG = """<View>
  <Image name="image" value="$image"/>
  <Text name="where" value="$source"/>
  <Choices name="choice" toName="image">
    <Choice value="keep"/>
    <Choice value="discard"/>
  </Choices>
</View>"""


def write(items: Sequence[ExportItem], manifest: dict[str, Any]) -> Files:
    tasks = [
        {
            "data": {"image": item.url, **item.context()},
            "meta": {"file": item.file, "width": item.width, "height": item.height},
        }
        for item in items
    ]
    return {FILE: json.dumps(tasks, indent=1).encode()}
