"""Jobs for the services: their keys, state and events, all kept in the object store.

There is no database: a job is a set of objects under ``tenants/<tenant>/jobs/<job_id>/`` with
deterministic keys (:mod:`farpoint.jobs.keys`); its status is read off which objects exist
(:mod:`farpoint.jobs.state`). Every gateway replica and every service sees the same jobs, and any
of them can restart at any time without losing one.
"""

from farpoint.jobs.events import Topics, event_id, make_event, parse_event
from farpoint.jobs.keys import DEFAULT_TENANT, JobKeys, MediaKeys, ModelKeys
from farpoint.jobs.spec import SelectionSpec, TrainSpec
from farpoint.jobs.state import JobState, JobStatus, MediaInfo

__all__ = [
    "DEFAULT_TENANT",
    "JobKeys",
    "JobState",
    "JobStatus",
    "MediaInfo",
    "MediaKeys",
    "ModelKeys",
    "SelectionSpec",
    "Topics",
    "TrainSpec",
    "event_id",
    "make_event",
    "parse_event",
]
