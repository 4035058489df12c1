"""The dead-letter suffix is one setting (``FARPOINT_KAFKA__DEAD_LETTER_SUFFIX``): the topics the
services create and the topic a poison message lands in both follow it."""

from __future__ import annotations

import time
from pathlib import Path

from farpoint.bus.memory import MemoryBus
from farpoint.settings import KafkaSettings, Settings
from farpoint.store.local import LocalStore
from services.common.allinone import start_workers, stop_workers
from services.common.context import ServiceContext


def test_poison_goes_to_the_configured_dead_letter_topic(tmp_path: Path) -> None:
    ctx = ServiceContext(
        settings=Settings(
            cache_dir=tmp_path / "cache", kafka=KafkaSettings(dead_letter_suffix=".poison")
        ),
        store=LocalStore(tmp_path / "store"),
        bus=MemoryBus(default_partitions=1),
    )
    topic = ctx.topics.job_requested
    assert ctx.dead_letter_topic(topic) == topic + ".poison"
    ctx.ensure_topics()
    ctx.bus.publish(topic, b"\xff\x00 not protobuf", key="x")
    loops = start_workers(ctx)
    try:
        inspect = ctx.bus.consumer([topic + ".poison"], "inspect")
        deadline = time.monotonic() + 30
        msgs = []
        while not msgs and time.monotonic() < deadline:
            msgs = inspect.poll(timeout_s=0.5)
    finally:
        stop_workers(loops)
    assert [m.value for m in msgs] == [b"\xff\x00 not protobuf"]
    assert msgs[0].headers["original-topic"] == topic
    assert ctx.bus.consumer([topic + ".dlq"], "inspect-default").poll(timeout_s=0.5) == []
