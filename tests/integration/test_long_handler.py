"""Long work off the poll loop, on the real Kafka broker.

Two members of one group share a one-partition topic with ``max_poll_interval_ms`` set to 3 s. A
message whose handler runs 8 s is handled once, by one member, and committed: the poll loop
keeps polling with the consumer paused, so the member keeps its partition. The control runs the
same handler on the poll loop itself (``offload=False``): the member overstays its poll interval,
is evicted, and the message runs a second time on the other member (or its commit fails).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import defaultdict

import pytest

from farpoint.bus.base import Message
from farpoint.bus.kafka import KafkaBus
from farpoint.bus.worker import run_worker
from farpoint.settings import KafkaSettings

pytestmark = pytest.mark.integration

LONG_S = 8.0
GROUPS = {"session_timeout_ms": 6000, "heartbeat_interval_ms": 1000}


def _run(
    kafka_settings: KafkaSettings, offload: bool
) -> tuple[dict[bytes, list[str]], list[BaseException], int | None]:
    settings = kafka_settings.model_copy(update={"max_poll_interval_ms": 3000})
    bus = KafkaBus(settings, **GROUPS)
    name = f"t-long-{uuid.uuid4().hex[:8]}"
    topic, group = f"{name}.work", f"{name}-g"
    bus.ensure_topics({topic: 1, f"{topic}.dlq": 1})
    calls: dict[bytes, list[str]] = defaultdict(list)
    errors: list[BaseException] = []
    stop = threading.Event()

    def member(who: str) -> None:
        def handler(message: Message) -> None:
            calls[message.value].append(who)
            if message.value == b"long":
                time.sleep(LONG_S)

        try:
            run_worker(
                bus, [topic], group, handler, stop_event=stop, offload=offload, max_retries=0
            )
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)

    threads = [threading.Thread(target=member, args=(w,), daemon=True) for w in ("a", "b")]
    for th in threads:
        th.start()
    time.sleep(8)  # both members joined and the group is stable before any work arrives
    bus.publish(topic, b"long")
    bus.publish(topic, b"after")
    deadline = time.monotonic() + 60
    while not calls[b"after"] and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(LONG_S + 4)  # long enough for a second run of "long" to show up
    stop.set()
    for th in threads:
        th.join(30)
    committed = bus.committed(group, topic, 0)
    bus.close()
    return calls, errors, committed


def test_a_handler_longer_than_the_poll_interval_runs_once_and_commits(
    kafka_settings: KafkaSettings,
) -> None:
    calls, errors, committed = _run(kafka_settings, offload=True)
    assert errors == []
    assert len(calls[b"long"]) == 1, calls
    assert len(calls[b"after"]) == 1, calls
    assert committed == 2


def test_control_on_the_poll_loop_the_member_is_evicted(kafka_settings: KafkaSettings) -> None:
    calls, errors, committed = _run(kafka_settings, offload=False)
    assert len(calls[b"long"]) >= 2 or errors, (calls, errors, committed)
