"""Message buses: :class:`MemoryBus` (in-process) and ``KafkaBus`` (kafka-python), one interface.

``KafkaBus`` is imported lazily (``from farpoint.bus import KafkaBus`` works) so that importing
farpoint does not import the Kafka client.
"""

from typing import TYPE_CHECKING, Any

from farpoint.bus.base import Bus, Consumer, Message
from farpoint.bus.factory import make_bus
from farpoint.bus.memory import MemoryBus
from farpoint.bus.trace import TRACE_HEADER, new_trace_id, with_trace
from farpoint.bus.worker import dead_letter, run_worker

if TYPE_CHECKING:
    from farpoint.bus.kafka import KafkaBus

__all__ = [
    "TRACE_HEADER",
    "Bus",
    "Consumer",
    "KafkaBus",
    "MemoryBus",
    "Message",
    "dead_letter",
    "make_bus",
    "new_trace_id",
    "run_worker",
    "with_trace",
]


def __getattr__(name: str) -> Any:
    if name == "KafkaBus":
        from farpoint.bus.kafka import KafkaBus

        return KafkaBus
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
