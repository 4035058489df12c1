"""The message-bus interface: Kafka in production, an in-process bus for the embedded default.

Semantics are Kafka's, so both implementations pass one test suite:

* topics have partitions; a message's key picks its partition (same key -> same partition, order
  kept within a partition);
* consumers join a *group*; each partition is read by one member of the group;
* a consumer commits a message's offset only after its outputs are durably written
  (at-least-once); a message taken but not committed is redelivered to the next consumer;
* a message whose handling fails with a non-retryable error goes to ``<topic>.dlq`` with the
  error in its headers, then is committed, so the partition keeps flowing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Message:
    topic: str
    value: bytes
    key: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    partition: int = 0
    offset: int = -1


class Consumer(Protocol):
    def poll(self, timeout_s: float = 1.0, max_records: int = 100) -> list[Message]:
        """Messages not yet delivered to this group member (may be empty)."""

    def commit(self, message: Message) -> None:
        """Mark ``message`` (and everything before it in its partition) as processed."""

    def pause(self) -> None:
        """Fetch nothing until :meth:`resume`; polls keep the membership alive meanwhile."""

    def resume(self) -> None: ...

    def rewind(self, message: Message) -> None:
        """Deliver ``message`` (and what follows it in its partition) again."""

    def close(self) -> None: ...


class Bus(Protocol):
    def ensure_topics(self, topics: dict[str, int]) -> None:
        """Create missing topics with the given partition counts (idempotent)."""

    def publish(
        self,
        topic: str,
        value: bytes,
        key: str | bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Send and wait for the broker's acknowledgement."""

    def consumer(self, topics: list[str], group: str) -> Consumer:
        """A new member of consumer group ``group`` reading ``topics``."""

    def close(self) -> None: ...
