"""An in-process message bus with Kafka's semantics: the embedded default and the test twin.

The embedded CLI (``farpoint select video.mp4``) runs every stage in one process; this bus lets the
stages talk exactly as they do over Kafka, so one code path serves both deployments. What it keeps
from Kafka (see :mod:`farpoint.bus.base`):

* topics with a fixed number of partitions; a message's key picks its partition by hash, a keyless
  message goes round-robin; offsets count up from 0 within each partition;
* consumer groups: the partitions of the subscribed topics are spread over the group's members
  (round-robin over the members in join order); every join or leave is a rebalance (Kafka's eager
  protocol): each member restarts its partitions from the group's committed offsets;
* at-least-once: a message delivered but not committed goes again to whoever owns its partition
  after the next rebalance, e.g. when the consumer that took it closes without committing.

Messages are kept in memory for the life of the bus (no retention), which suits one job.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import zlib
from dataclasses import dataclass, field

from farpoint.bus.base import Message
from farpoint.bus.trace import with_trace
from farpoint.errors import FarpointError, InputError

log = logging.getLogger(__name__)

TopicPartition = tuple[str, int]


def _key_bytes(key: str | bytes | None) -> bytes | None:
    return key.encode() if isinstance(key, str) else key


@dataclass
class _Group:
    members: list[MemoryConsumer] = field(default_factory=list)
    committed: dict[TopicPartition, int] = field(default_factory=dict)
    generation: int = 0


class MemoryConsumer:
    """One member of a consumer group on a :class:`MemoryBus`."""

    def __init__(self, bus: MemoryBus, topics: list[str], group: str) -> None:
        self._bus = bus
        self.topics = list(topics)
        self.group = group
        self._generation = -1
        self._positions: dict[TopicPartition, int] = {}
        self._closed = False
        self._paused = False

    @property
    def assignment(self) -> list[TopicPartition]:
        """The partitions this member owns now (after the latest rebalance)."""
        with self._bus._cond:
            self._sync()
            return sorted(self._positions)

    def _sync(self) -> None:
        """Adopt the group's current assignment (caller holds the bus lock)."""
        group = self._bus._groups[self.group]
        if self._generation == group.generation:
            return
        self._generation = group.generation
        mine = self._bus._assignment(self.group).get(id(self), [])
        self._positions = {tp: group.committed.get(tp, 0) for tp in mine}

    def poll(self, timeout_s: float = 1.0, max_records: int = 100) -> list[Message]:
        if self._closed:
            raise FarpointError("poll on a closed consumer")
        deadline = time.monotonic() + max(0.0, timeout_s)
        with self._bus._cond:
            while True:
                self._sync()
                out: list[Message] = []
                if self._paused:  # still a member; no records until resume()
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return []
                    self._bus._cond.wait(remaining)
                    continue
                for tp in sorted(self._positions):
                    log_ = self._bus._topics[tp[0]][tp[1]]
                    pos = self._positions[tp]
                    take = log_[pos : pos + (max_records - len(out))]
                    out.extend(take)
                    self._positions[tp] = pos + len(take)
                    if len(out) >= max_records:
                        break
                if out:
                    return out
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self._bus._cond.wait(remaining)

    def pause(self) -> None:
        """Stop fetching from every assigned partition (polls keep the membership)."""
        self._paused = True

    def resume(self) -> None:
        self._paused = False

    def rewind(self, message: Message) -> None:
        """Deliver ``message`` (and what follows it in its partition) again."""
        with self._bus._cond:
            tp = (message.topic, message.partition)
            if tp in self._positions:
                self._positions[tp] = min(self._positions[tp], message.offset)

    def commit(self, message: Message) -> None:
        if self._closed:
            raise FarpointError("commit on a closed consumer")
        with self._bus._cond:
            group = self._bus._groups[self.group]
            group.committed[(message.topic, message.partition)] = message.offset + 1

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self._bus._cond:
            group = self._bus._groups[self.group]
            if self in group.members:
                group.members.remove(self)
                group.generation += 1
            self._bus._cond.notify_all()


class MemoryBus:
    """Topics, partitions and consumer groups in this process (thread-safe).

    Publishing to a topic that does not exist creates it with ``default_partitions`` partitions
    (the Kafka bus does the same through its admin client).
    """

    def __init__(self, default_partitions: int = 1) -> None:
        if default_partitions < 1:
            raise InputError("default_partitions must be >= 1")
        self.default_partitions = default_partitions
        self._cond = threading.Condition()
        self._topics: dict[str, list[list[Message]]] = {}
        self._groups: dict[str, _Group] = {}
        self._round_robin = itertools.count()

    def ensure_topics(self, topics: dict[str, int]) -> None:
        with self._cond:
            for name, partitions in topics.items():
                self._create(name, partitions)

    def _create(self, name: str, partitions: int) -> None:
        if not name:
            raise InputError("empty topic name")
        if partitions < 1:
            raise InputError(f"topic {name!r} needs at least one partition, got {partitions}")
        if name in self._topics:
            return
        self._topics[name] = [[] for _ in range(partitions)]
        for group in self._groups.values():  # new partitions change subscribed groups' assignment
            if any(name in m.topics for m in group.members):
                group.generation += 1
        self._cond.notify_all()

    def partitions(self, topic: str) -> int:
        """The topic's partition count (0 if it does not exist)."""
        with self._cond:
            return len(self._topics.get(topic, []))

    def publish(
        self,
        topic: str,
        value: bytes,
        key: str | bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        kb = _key_bytes(key)
        with self._cond:
            if topic not in self._topics:
                self._create(topic, self.default_partitions)
            parts = self._topics[topic]
            if kb is None:
                partition = next(self._round_robin) % len(parts)
            else:
                partition = zlib.crc32(kb) % len(parts)
            log_ = parts[partition]
            log_.append(
                Message(
                    topic=topic,
                    value=bytes(value),
                    key=kb,
                    headers=with_trace(headers),
                    partition=partition,
                    offset=len(log_),
                )
            )
            self._cond.notify_all()

    def consumer(self, topics: list[str], group: str) -> MemoryConsumer:
        if not topics:
            raise InputError("a consumer needs at least one topic")
        member = MemoryConsumer(self, topics, group)
        with self._cond:
            g = self._groups.setdefault(group, _Group())
            g.members.append(member)
            g.generation += 1
            self._cond.notify_all()
        return member

    def _assignment(self, group: str) -> dict[int, list[TopicPartition]]:
        """Round-robin of every subscribed partition over the members (caller holds the lock)."""
        members = self._groups[group].members
        out: dict[int, list[TopicPartition]] = {id(m): [] for m in members}
        for topic in sorted({t for m in members for t in m.topics}):
            subscribers = [m for m in members if topic in m.topics]
            for p in range(len(self._topics.get(topic, []))):
                out[id(subscribers[p % len(subscribers)])].append((topic, p))
        return out

    def ping(self) -> None:
        """Always reachable (readiness probes ask every bus)."""

    def committed(self, group: str, topic: str, partition: int) -> int | None:
        """The group's committed offset for a partition (next offset to read), or None."""
        with self._cond:
            g = self._groups.get(group)
            return None if g is None else g.committed.get((topic, partition))

    def close(self) -> None:
        with self._cond:
            members = [m for g in self._groups.values() for m in g.members]
        for m in members:
            m.close()
