"""The Bus contract on MemoryBus (the Kafka side runs in tests/integration/test_kafka_bus.py),
plus what only the in-process bus and the worker helpers promise."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from farpoint.bus import MemoryBus, Message, make_bus
from farpoint.bus.worker import is_poison
from farpoint.errors import ConfigError, DecodeError, InputError, NotFoundError, TransientError
from farpoint.settings import KafkaSettings, Settings
from tests.contracts.bus_contract import BusContract, drain


class TestMemoryBus(BusContract):
    @pytest.fixture
    def bus(self) -> Iterator[MemoryBus]:
        bus = MemoryBus()
        yield bus
        bus.close()


def test_publish_creates_missing_topics_with_default_partitions() -> None:
    bus = MemoryBus(default_partitions=4)
    bus.publish("auto", b"x", key="k")
    assert bus.partitions("auto") == 4
    bus.ensure_topics({"auto": 9})  # existing topics keep their partition count
    assert bus.partitions("auto") == 4


def test_same_key_same_partition_and_keyless_round_robin() -> None:
    bus = MemoryBus()
    bus.ensure_topics({"t": 3})
    for i in range(9):
        bus.publish("t", str(i).encode(), key="one-key")
    for _ in range(3):
        bus.publish("t", b"nokey")
    got = drain(bus.consumer(["t"], "g"), 12, timeout_s=2)
    assert len({m.partition for m in got if m.key == b"one-key"}) == 1
    assert sorted(m.partition for m in got if m.key is None) == [0, 1, 2]


def test_committed_offsets_are_visible() -> None:
    bus = MemoryBus()
    bus.publish("t", b"a")
    consumer = bus.consumer(["t"], "g")
    (m,) = drain(consumer, 1, timeout_s=2)
    assert bus.committed("g", "t", 0) is None
    consumer.commit(m)
    assert bus.committed("g", "t", 0) == 1


def test_a_topic_created_later_is_assigned_to_its_subscribers() -> None:
    bus = MemoryBus()
    consumer = bus.consumer(["late"], "g")
    assert consumer.poll(timeout_s=0.05) == []
    bus.publish("late", b"hello")
    assert [m.value for m in drain(consumer, 1, timeout_s=2)] == [b"hello"]


def test_bad_topics_are_input_errors() -> None:
    bus = MemoryBus()
    with pytest.raises(InputError):
        bus.ensure_topics({"t": 0})
    with pytest.raises(InputError):
        bus.consumer([], "g")


@pytest.mark.parametrize(
    ("exc", "poison"),
    [
        (InputError("bad"), True),
        (DecodeError("bad video"), True),
        (NotFoundError("gone"), True),
        (ValueError("bad json"), True),
        (TransientError("later"), False),
        (RuntimeError("bug"), False),
    ],
)
def test_poison_classification(exc: Exception, poison: bool) -> None:
    assert is_poison(exc) is poison


def test_protobuf_decode_errors_are_poison() -> None:
    from google.protobuf.message import DecodeError as PbDecodeError

    assert is_poison(PbDecodeError("truncated"))


def test_make_bus() -> None:
    bus = make_bus("memory", Settings(kafka=KafkaSettings(partitions=2)))
    assert isinstance(bus, MemoryBus)
    bus.publish("t", b"x")
    assert bus.partitions("t") == 2
    from farpoint.bus.kafka import KafkaBus

    kafka = make_bus("kafka", KafkaSettings(bootstrap="127.0.0.1:1"))
    assert isinstance(kafka, KafkaBus)  # connects lazily: nothing was contacted yet
    with pytest.raises(ConfigError):
        make_bus("rabbit", KafkaSettings())


def test_message_is_frozen() -> None:
    m = Message(topic="t", value=b"v")
    with pytest.raises(AttributeError):
        m.value = b"w"  # type: ignore[misc]
