"""Make the bus a deployment asks for: ``memory`` (embedded, one process) or ``kafka``."""

from __future__ import annotations

from typing import Literal

from farpoint.bus.base import Bus
from farpoint.errors import ConfigError
from farpoint.settings import KafkaSettings, Settings

BusKind = Literal["memory", "kafka"]


def make_bus(kind: BusKind | str, settings: Settings | KafkaSettings | None = None) -> Bus:
    """A new bus of ``kind``; Kafka settings come from ``settings`` (default: the environment)."""
    if isinstance(settings, Settings):
        kafka = settings.kafka
    elif isinstance(settings, KafkaSettings):
        kafka = settings
    else:
        from farpoint.settings import get_settings

        kafka = get_settings().kafka
    if kind == "memory":
        from farpoint.bus.memory import MemoryBus

        return MemoryBus(default_partitions=kafka.partitions)
    if kind == "kafka":
        from farpoint.bus.kafka import KafkaBus

        return KafkaBus(kafka)
    raise ConfigError(f"unknown bus kind {kind!r}; expected 'memory' or 'kafka'")
