"""The Bus contract on KafkaBus against a real broker (KRaft from infra/up.sh, or any Kafka named
by FARPOINT_KAFKA__BOOTSTRAP), plus what only the Kafka bus does: topics made through the admin
client, offsets committed on the broker, and redelivery after a consumer process is SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka.admin import KafkaAdminClient

from farpoint.bus import KafkaBus
from farpoint.settings import KafkaSettings
from tests.contracts.bus_contract import BusContract, drain, quiet

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
# Short sessions so that a killed member leaves its group within seconds.
FAST_GROUPS = {"session_timeout_ms": 6000, "heartbeat_interval_ms": 1000,
               "max_poll_interval_ms": 30000}


@pytest.fixture
def bus(kafka_settings: KafkaSettings) -> Iterator[KafkaBus]:
    bus = KafkaBus(kafka_settings, **FAST_GROUPS)
    yield bus
    bus.close()


class TestKafkaBus(BusContract):
    pass


def test_topics_are_created_with_their_partition_counts(
    bus: KafkaBus, kafka_settings: KafkaSettings, unique_name: str
) -> None:
    bus.ensure_topics({f"{unique_name}.a": 3, f"{unique_name}.b": 1})
    bus.publish(f"{unique_name}.auto", b"x")  # unknown topic: created with settings.partitions
    admin = KafkaAdminClient(bootstrap_servers=kafka_settings.bootstrap)
    try:
        described = {
            t["name"]: len(t["partitions"])
            for t in admin.describe_topics([f"{unique_name}.a", f"{unique_name}.b",
                                            f"{unique_name}.auto"])
        }
    finally:
        admin.close()
    assert described == {
        f"{unique_name}.a": 3,
        f"{unique_name}.b": 1,
        f"{unique_name}.auto": kafka_settings.partitions,
    }


def test_commits_are_stored_on_the_broker(bus: KafkaBus, unique_name: str) -> None:
    topic, group = f"{unique_name}.c", f"{unique_name}-g"
    bus.ensure_topics({topic: 1})
    for i in range(3):
        bus.publish(topic, str(i).encode())
    consumer = bus.consumer([topic], group)
    got = drain(consumer, 3)
    assert bus.committed(group, topic, 0) is None
    consumer.commit(got[1])
    assert bus.committed(group, topic, 0) == 2
    consumer.close()


_KILLED_CONSUMER = textwrap.dedent(
    """
    import sys, time
    from farpoint.bus.kafka import KafkaBus
    from farpoint.settings import KafkaSettings

    bootstrap, topic, group = sys.argv[1:4]
    bus = KafkaBus(KafkaSettings(bootstrap=bootstrap), session_timeout_ms=6000,
                   heartbeat_interval_ms=1000, max_poll_interval_ms=30000)
    consumer = bus.consumer([topic], group)
    got = []
    while len(got) < 3:
        got.extend(consumer.poll(timeout_s=0.5))
    consumer.commit(got[0])
    sys.stdout.write("took %d\\n" % len(got))
    sys.stdout.flush()
    time.sleep(600)
    """
)


def test_messages_a_killed_consumer_took_are_redelivered(
    bus: KafkaBus, kafka_settings: KafkaSettings, unique_name: str
) -> None:
    topic, group = f"{unique_name}.k", f"{unique_name}-g"
    bus.ensure_topics({topic: 1})
    for i in range(3):
        bus.publish(topic, f"frame-batch-{i}".encode())
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_CONSUMER, kafka_settings.bootstrap, topic, group],
        stdout=subprocess.PIPE, text=True, cwd=ROOT, env=os.environ.copy(),
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # the child took all three, committed only the first
        assert line.strip() == "took 3"
    finally:
        proc.send_signal(signal.SIGKILL)  # no LeaveGroup, no commit: the broker must notice
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL

    t0 = time.monotonic()
    nxt = bus.consumer([topic], group)
    again = drain(nxt, 2, timeout_s=90)
    waited = time.monotonic() - t0
    assert [(m.offset, m.value) for m in again] == [
        (1, b"frame-batch-1"), (2, b"frame-batch-2")
    ], f"after {waited:.1f}s"
    assert quiet(nxt, 0.5) == []
    nxt.close()
