"""Building and parsing the protobuf :class:`Event` envelope, and the topic names.

Topics (``KafkaSettings.topic_prefix`` in front, ``farpoint.`` by default) and their keys:

================  ======================  ==================  ==========================
topic             body                    key                 consumed by
================  ======================  ==================  ==========================
jobs.requested    JobRequested            job id              ingest
shards.ready      ShardReady              job id / shard      embedding (spreads shards)
shards.embedded   ShardEmbedded,          job id              normalization (one member
                  JobIngested                                 sees all of a job's events)
jobs.normalized   JobNormalized           job id              selection
jobs.selected     JobSelected             job id              export
jobs.done         JobExported, JobFailed  job id              (observers)
train.requested   TrainRequested          job id              trainer
================  ======================  ==================  ==========================

Each topic has a ``.dlq`` twin for poison messages (:func:`farpoint.bus.worker.dead_letter`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from google.protobuf.message import DecodeError as ProtoDecodeError
from google.protobuf.message import Message as ProtoMessage

from farpoint.errors import InputError
from farpoint.events import events_pb2 as pb


@dataclass(frozen=True)
class Topics:
    """Topic names under a prefix."""

    prefix: str = "farpoint."

    @property
    def job_requested(self) -> str:
        return self.prefix + "jobs.requested"

    @property
    def shard_ready(self) -> str:
        return self.prefix + "shards.ready"

    @property
    def shard_embedded(self) -> str:
        return self.prefix + "shards.embedded"

    @property
    def job_normalized(self) -> str:
        return self.prefix + "jobs.normalized"

    @property
    def job_selected(self) -> str:
        return self.prefix + "jobs.selected"

    @property
    def job_done(self) -> str:
        return self.prefix + "jobs.done"

    @property
    def train_requested(self) -> str:
        return self.prefix + "train.requested"

    def all(self) -> list[str]:
        return [
            self.job_requested,
            self.shard_ready,
            self.shard_embedded,
            self.job_normalized,
            self.job_selected,
            self.job_done,
            self.train_requested,
        ]


def event_id(job_id: str, stage: str, part: int | None = None) -> str:
    """A deterministic id: a redelivered stage publishes an event with the same id."""
    return f"{job_id}:{stage}" + ("" if part is None else f":{part}")


def make_event(tenant: str, job_id: str, eid: str, body: ProtoMessage) -> bytes:
    """Serialize an :class:`Event` whose body is ``body`` (any event message of farpoint.v1)."""
    ev = pb.Event(
        event_id=eid,
        created_ms=int(time.time() * 1000),
        job=pb.JobRef(tenant=tenant, job_id=job_id),
    )
    field = _BODY_FIELDS.get(type(body).__name__)
    if field is None:
        raise InputError(f"{type(body).__name__} is not an event body")
    getattr(ev, field).CopyFrom(body)
    return ev.SerializeToString()


def parse_event(data: bytes, *expected: str) -> tuple[pb.Event, str]:
    """Parse an :class:`Event`; return it and the name of its body field.

    Raises :class:`InputError` (a poison message: dead-lettered) when the bytes are not an event,
    carry no job or body, or the body is not one of ``expected`` (when given).
    """
    ev = pb.Event()
    try:
        ev.ParseFromString(data)
    except ProtoDecodeError as exc:
        raise InputError(f"not a farpoint.v1.Event: {exc}") from exc
    body = ev.WhichOneof("body")
    if body is None:
        raise InputError("event has no body")
    if not ev.job.job_id or not ev.job.tenant:
        raise InputError("event names no job")
    if expected and body not in expected:
        raise InputError(f"unexpected event {body!r} here; expected {', '.join(expected)}")
    return ev, body


_BODY_FIELDS = {
    "JobRequested": "job_requested",
    "ShardReady": "shard_ready",
    "JobIngested": "job_ingested",
    "ShardEmbedded": "shard_embedded",
    "JobNormalized": "job_normalized",
    "JobSelected": "job_selected",
    "JobExported": "job_exported",
    "JobFailed": "job_failed",
    "TrainRequested": "train_requested",
    "ModelTrained": "model_trained",
    "RowsToNormalize": "rows_to_normalize",
}
