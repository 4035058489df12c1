"""Prometheus metrics of every service (one registry per process, labelled by service)."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

MESSAGES = Counter(
    "farpoint_messages_total",
    "Messages handled, by service and outcome (ok, skipped, failed)",
    ["service", "outcome"],
)
STAGE_SECONDS = Histogram(
    "farpoint_stage_seconds",
    "Time spent in one stage's handler",
    ["service"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900),
)
FRAMES = Counter("farpoint_frames_total", "Frames processed, by service", ["service"])
REUSED = Counter(
    "farpoint_stage_reused_total",
    "Shards a stage took from the content-addressed cache instead of computing, by service",
    ["service"],
)
JOBS_FAILED = Counter(
    "farpoint_jobs_failed_total",
    "Jobs failed, by service, stage and cause (poison, gave_up: retries spent, watchdog)",
    ["service", "stage", "cause"],
)
DEAD_LETTERS = Counter(
    "farpoint_dead_letters_total", "Messages given up on (dead-lettered), by service", ["service"]
)
HTTP_REQUESTS = Counter(
    "farpoint_http_requests_total", "Gateway requests by route and status", ["route", "status"]
)


def render() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST
