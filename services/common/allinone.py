"""Every consuming service in one process: the single-process deployment and the test harness.

``start_workers(ctx)`` starts one :class:`WorkerLoop` per stage (``embedding_workers`` for the
embedding stage, ``normalization_workers`` for normalization: members of one consumer group,
sharing the partitions of their topic).
"""

from __future__ import annotations

import importlib

from services.common.context import ServiceContext
from services.common.worker_app import WorkerLoop

STAGES = ("ingest", "embedding", "normalization", "selection", "export", "trainer")


def start_workers(
    ctx: ServiceContext,
    embedding_workers: int = 1,
    stages: tuple[str, ...] = STAGES,
    normalization_workers: int = 1,
) -> list[WorkerLoop]:
    loops = []
    members = {"embedding": embedding_workers, "normalization": normalization_workers}
    for name in stages:
        mod = importlib.import_module(f"services.{name}.handler")
        for _ in range(members.get(name, 1)):
            loop = WorkerLoop(ctx, name, mod.topics(ctx), mod.make_handler(ctx))
            loop.start()
            loops.append(loop)
    return loops


def stop_workers(loops: list[WorkerLoop]) -> None:
    for loop in loops:
        loop.stop_event.set()
    for loop in loops:
        loop.stop()
