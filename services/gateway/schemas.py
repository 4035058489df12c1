"""The gateway's request and response bodies: one pydantic model per shape, errors included.

The models live in the core, :mod:`farpoint.jobs.api`, shared with the Python client
(:mod:`farpoint.client`); this module re-exports them for the routes.

Job request bodies are the core's :class:`~farpoint.jobs.spec.SelectionSpec` and
:class:`~farpoint.jobs.spec.TrainSpec` (stored as ``job.json`` and carried in events, so they
live with the jobs). Every refusal is :class:`ErrorOut`, the one envelope of
:mod:`farpoint.security.responses`.
"""

from __future__ import annotations

from farpoint.jobs.api import (
    Created,
    DatasetIn,
    DatasetList,
    DatasetMediaIn,
    DatasetOut,
    DatasetPatch,
    Deleted,
    ErrorDetail,
    ErrorOut,
    JobList,
    JobOut,
    LabeledIn,
    MediaImportIn,
    MediaList,
    MediaOut,
    ModelList,
    ModelOut,
    PresignIn,
    PresignOut,
    ResultItem,
    ResultOut,
)

__all__ = [
    "Created",
    "DatasetIn",
    "DatasetList",
    "DatasetMediaIn",
    "DatasetOut",
    "DatasetPatch",
    "Deleted",
    "LabeledIn",
    "ErrorDetail",
    "ErrorOut",
    "JobList",
    "JobOut",
    "MediaImportIn",
    "MediaList",
    "MediaOut",
    "ModelList",
    "ModelOut",
    "PresignIn",
    "PresignOut",
    "ResultItem",
    "ResultOut",
]
