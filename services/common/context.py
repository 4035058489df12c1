"""What a service needs to run: settings, the object store, the bus, the topic names and the
records database (None when ``FARPOINT_DATABASE__URL`` is unset: jobs live in the store only)."""

from __future__ import annotations

from dataclasses import dataclass, field

from farpoint.bus.base import Bus
from farpoint.jobs.events import Topics
from farpoint.jobs.state import JobState
from farpoint.records.base import Records
from farpoint.settings import Settings, get_settings
from farpoint.store.base import Store


@dataclass
class ServiceContext:
    settings: Settings
    store: Store
    bus: Bus
    topics: Topics = field(default_factory=Topics)
    max_upload_bytes: int = 2 * 1024**3
    records: Records | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings | None = None, bus_kind: str = "kafka"
    ) -> ServiceContext:
        """S3 store + Kafka bus (or the in-process bus) from ``FARPOINT_*`` settings."""
        from farpoint.bus.factory import make_bus
        from farpoint.records import open_records
        from farpoint.store.s3 import S3Store

        settings = settings or get_settings()
        return cls(
            settings=settings,
            store=S3Store.from_settings(settings.s3),
            bus=make_bus(bus_kind, settings),
            topics=Topics(settings.kafka.topic_prefix),
            max_upload_bytes=settings.security.max_upload_bytes,
            records=open_records(settings.database),
        )

    def jobs(self, tenant: str) -> JobState:
        """The jobs of ``tenant`` (store and records)."""
        return JobState(self.store, tenant, self.records)

    def dead_letter_topic(self, topic: str) -> str:
        """Where poison messages of ``topic`` go (``FARPOINT_KAFKA__DEAD_LETTER_SUFFIX``)."""
        return topic + self.settings.kafka.dead_letter_suffix

    def ensure_topics(self) -> None:
        """Create every topic and its dead-letter twin with the configured partitions."""
        n = self.settings.kafka.partitions
        names = self.topics.all()
        self.bus.ensure_topics(
            {t: n for t in names} | {self.dead_letter_topic(t): 1 for t in names}
        )
