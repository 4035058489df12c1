"""Deterministic object keys: one function per object, so a redelivered message rewrites it.

Everything a tenant owns lives under ``tenants/<tenant>/`` (the default tenant is ``default``),
so per-tenant access control can be added later without moving data::

    tenants/<t>/media/<media_id>/meta.json          what was uploaded (name, size, kind), only
                                                    without a records database (else a row)
    tenants/<t>/media/<media_id>/original           the bytes as uploaded
    tenants/<t>/job-index/<created_ms>-<job_id>     empty marker: list jobs newest-last
    tenants/<t>/jobs/<job_id>/job.json              kind + spec + created time (gateway)
    tenants/<t>/jobs/<job_id>/cancel.json           cancel request (gateway)
    tenants/<t>/jobs/<job_id>/failed.json           stage + reason (any service)
    tenants/<t>/jobs/<job_id>/ingest.json           shard count, frame count, decode reports
    tenants/<t>/jobs/<job_id>/shards/<n>/frames.npy decoded frames of shard n (uint8 NHWC)
    tenants/<t>/jobs/<job_id>/shards/<n>/meta.json  source media, frame indices, timestamps
    tenants/<t>/jobs/<job_id>/shards/<n>/vectors.npy embeddings of shard n
    tenants/<t>/jobs/<job_id>/normalize/...         normalized.npy, reducer.pkl, info.json
    tenants/<t>/jobs/<job_id>/selection.json        picked rows and distances
    tenants/<t>/jobs/<job_id>/result/...            frames/, manifest.json/.csv, report.html
    tenants/<t>/jobs/<job_id>/stages/<stage>.json   written after a stage published its event
    tenants/<t>/models/<name>/model.pt + meta.json  models trained by the trainer
    tenants/<t>/datasets/<id>/dataset.json          a dataset: name, media ids, labeled frames,
                                                    only without a records database (else rows)
    tenants/<t>/cache/frames/<h>/...                decoded shards, content-addressed (h: media
                                                    content + decode settings), ingest.json last
    tenants/<t>/cache/vectors/<h>/<n>.npy           embeddings of shard n of frames cache <h>
                                                    by one embedder + model content hash
    tenants/<t>/jobs/<job_id>/cache.json            which frames cache the job's shards came from
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from farpoint.errors import InputError

DEFAULT_TENANT = "default"
# An id that is safe as one key segment: a letter or digit, then letters, digits, '_', '.', '-'
# with no '..', at most ID_MAX_LENGTH characters. The OpenAPI path parameters carry the same
# pattern (no look-arounds, so every JSON-schema engine reads it alike).
ID_PATTERN = r"^[A-Za-z0-9](?:\.?[A-Za-z0-9_-])*\.?$"
ID_MAX_LENGTH = 128
_ID = re.compile(ID_PATTERN)


def check_id(value: str, what: str = "id") -> str:
    """An id that is safe as one key segment (letters, digits, ``_.-``; no ``..``)."""
    if not isinstance(value, str) or len(value) > ID_MAX_LENGTH or not _ID.fullmatch(value):
        raise InputError(f"invalid {what} {value!r}: use letters, digits, '_', '.', '-'")
    return value


def tenant_root(tenant: str = DEFAULT_TENANT) -> str:
    return f"tenants/{check_id(tenant, 'tenant')}/"


@dataclass(frozen=True)
class MediaKeys:
    tenant: str
    media_id: str

    @property
    def root(self) -> str:
        return f"{tenant_root(self.tenant)}media/{check_id(self.media_id, 'media id')}/"

    @property
    def meta(self) -> str:
        return self.root + "meta.json"

    @property
    def original(self) -> str:
        return self.root + "original"


@dataclass(frozen=True)
class ModelKeys:
    tenant: str
    name: str

    @property
    def root(self) -> str:
        return f"{tenant_root(self.tenant)}models/{check_id(self.name, 'model name')}/"

    @property
    def model(self) -> str:
        return self.root + "model.pt"

    @property
    def meta(self) -> str:
        return self.root + "meta.json"


@dataclass(frozen=True)
class DatasetKeys:
    tenant: str
    dataset_id: str

    @property
    def root(self) -> str:
        return f"{tenant_root(self.tenant)}datasets/{check_id(self.dataset_id, 'dataset id')}/"

    @property
    def dataset(self) -> str:
        return self.root + "dataset.json"


def datasets_prefix(tenant: str) -> str:
    return f"{tenant_root(tenant)}datasets/"


@dataclass(frozen=True)
class FramesCacheKeys:
    """Decoded shards of some media at some decode settings, shared by every job that decodes
    the same content the same way (``digest``: :func:`farpoint.jobs.cache.frames_digest`)."""

    tenant: str
    digest: str

    @property
    def root(self) -> str:
        return f"{tenant_root(self.tenant)}cache/frames/{check_id(self.digest, 'digest')}/"

    @property
    def ingest(self) -> str:
        return self.root + "ingest.json"

    def frames(self, n: int) -> str:
        return f"{self.root}shards/{n:05d}/frames.npy"

    def shard_meta(self, n: int) -> str:
        return f"{self.root}shards/{n:05d}/meta.json"


@dataclass(frozen=True)
class VectorsCacheKeys:
    """Embeddings of one frames cache by one embedder and model content
    (``digest``: :func:`farpoint.jobs.cache.vectors_digest`)."""

    tenant: str
    digest: str

    @property
    def root(self) -> str:
        return f"{tenant_root(self.tenant)}cache/vectors/{check_id(self.digest, 'digest')}/"

    def vectors(self, n: int) -> str:
        return f"{self.root}{n:05d}.npy"

    @property
    def embedder(self) -> str:
        return self.root + "embedder.json"


def cache_prefix(tenant: str) -> str:
    return f"{tenant_root(tenant)}cache/"


def job_index_prefix(tenant: str) -> str:
    return f"{tenant_root(tenant)}job-index/"


@dataclass(frozen=True)
class JobKeys:
    tenant: str
    job_id: str

    @property
    def root(self) -> str:
        return f"{tenant_root(self.tenant)}jobs/{check_id(self.job_id, 'job id')}/"

    def index(self, created_ms: int) -> str:
        return f"{job_index_prefix(self.tenant)}{created_ms:013d}-{self.job_id}"

    @property
    def job(self) -> str:
        return self.root + "job.json"

    @property
    def cancel(self) -> str:
        return self.root + "cancel.json"

    @property
    def failed(self) -> str:
        return self.root + "failed.json"

    @property
    def ingest(self) -> str:
        return self.root + "ingest.json"

    @property
    def cache(self) -> str:
        return self.root + "cache.json"

    @property
    def shards(self) -> str:
        return self.root + "shards/"

    def shard(self, n: int) -> str:
        return f"{self.shards}{n:05d}/"

    def frames(self, n: int) -> str:
        return self.shard(n) + "frames.npy"

    def shard_meta(self, n: int) -> str:
        return self.shard(n) + "meta.json"

    def vectors(self, n: int) -> str:
        return self.shard(n) + "vectors.npy"

    @property
    def normalized(self) -> str:
        return self.root + "normalize/normalized.npy"

    def reducer(self, digest: str) -> str:
        """The fitted reducer, keyed by the sha256 of its bytes (workers cache it by key)."""
        return f"{self.root}normalize/reducer-{digest}.pkl"

    @property
    def normalize_fit(self) -> str:
        """The fit is done: the reducer's key, its info and the rows of each shard."""
        return self.root + "normalize/fit.json"

    def normalized_batch(self, n: int) -> str:
        """One transform batch's normalized vectors (rows of the job, in frame order)."""
        return f"{self.root}normalize/batches/{n:05d}.npy"

    @property
    def normalize_info(self) -> str:
        return self.root + "normalize/info.json"

    @property
    def selection(self) -> str:
        return self.root + "selection.json"

    @property
    def result(self) -> str:
        return self.root + "result/"

    @property
    def manifest(self) -> str:
        return self.result + "manifest.json"

    def stage_done(self, stage: str) -> str:
        return f"{self.root}stages/{stage}.json"
