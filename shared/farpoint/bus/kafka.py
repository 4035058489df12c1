"""The Kafka bus on kafka-python 3.x: the services' bus in production.

* Topics are created with an explicit partition count and replication factor through the admin
  client (brokers here run with ``auto.create.topics.enable=false``); publishing to a topic this
  bus has not seen creates it with ``KafkaSettings.partitions`` partitions first.
* The producer waits for ``acks=all`` and is idempotent (no duplicates from its own retries);
  :meth:`KafkaBus.publish` blocks until the broker acknowledges.
* Consumers use the classic group protocol with ``enable_auto_commit=False`` and
  ``auto_offset_reset=earliest``: a worker commits a message's offset (``offset + 1``) only after
  its outputs are durable, so a message taken but not committed is redelivered after a rebalance.
* Headers carry a ``trace-id`` (see :mod:`farpoint.bus.trace`); values travel as UTF-8.
* Every client (producer, consumers, admin) gets the same connection and security settings from
  :func:`client_config`: ``security_protocol`` PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL, SASL
  PLAIN / SCRAM-SHA-256 / SCRAM-SHA-512 with a user name and password, and a CA file for TLS
  (Strimzi's cluster CA). A half-configured SASL/TLS setup is refused with a ConfigError when the
  bus is built, before anything connects.

Topic names are used as given; services build them with ``KafkaSettings.topic_prefix``.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from kafka.admin import KafkaAdminClient
from kafka.consumer import KafkaConsumer
from kafka.errors import KafkaError, TopicAlreadyExistsError
from kafka.producer import KafkaProducer
from kafka.structs import OffsetAndMetadata, TopicPartition

from farpoint.bus.base import Message
from farpoint.bus.trace import with_trace
from farpoint.errors import ConfigError, FarpointError, InputError, TransientError
from farpoint.settings import KafkaSettings

log = logging.getLogger(__name__)


def _key_bytes(key: str | bytes | None) -> bytes | None:
    return key.encode() if isinstance(key, str) else key


def _transient(what: str, bootstrap: str, exc: Exception) -> TransientError:
    return TransientError(f"Kafka at {bootstrap}: {what} failed: {type(exc).__name__}: {exc}")


def client_config(settings: KafkaSettings) -> dict[str, Any]:
    """The keyword arguments every kafka-python 3.x client gets: servers, id, timeout, security.

    Raises :class:`ConfigError` when SASL lacks a mechanism, user name or password, or a TLS file
    named in the settings does not exist. The result holds the SASL password: never log it.
    """
    servers = [s.strip() for s in settings.bootstrap.split(",") if s.strip()]
    if not servers:
        raise ConfigError("FARPOINT_KAFKA__BOOTSTRAP is empty; expected host:port[,host:port...]")
    config: dict[str, Any] = {
        "bootstrap_servers": servers,
        "client_id": settings.client_id,
        "request_timeout_ms": settings.request_timeout_ms,
        # A broker that never answers fails a client's start as soon as a request would.
        "bootstrap_timeout_ms": settings.request_timeout_ms,
        "security_protocol": settings.security_protocol,
    }
    if settings.uses_sasl:
        password = settings.sasl_password.get_secret_value() if settings.sasl_password else ""
        missing = [
            name
            for name, value in (
                ("FARPOINT_KAFKA__SASL_MECHANISM", settings.sasl_mechanism),
                ("FARPOINT_KAFKA__SASL_USERNAME", settings.sasl_username),
                ("FARPOINT_KAFKA__SASL_PASSWORD(_FILE)", password),
            )
            if not value
        ]
        if missing:
            raise ConfigError(
                f"Kafka security_protocol {settings.security_protocol} needs {', '.join(missing)}"
            )
        config["sasl_mechanism"] = settings.sasl_mechanism
        config["sasl_plain_username"] = settings.sasl_username
        config["sasl_plain_password"] = password
    if settings.uses_tls:
        for name, path in (
            ("ssl_cafile", settings.ssl_cafile),
            ("ssl_certfile", settings.ssl_certfile),
            ("ssl_keyfile", settings.ssl_keyfile),
        ):
            if path is None:
                continue
            if not path.is_file():
                raise ConfigError(f"FARPOINT_KAFKA__{name.upper()}: no such file {path}")
            config[name] = str(path)
        config["ssl_check_hostname"] = settings.ssl_check_hostname
    elif settings.ssl_cafile or settings.ssl_certfile or settings.ssl_keyfile:
        log.warning(
            "Kafka TLS files are set but security_protocol is %s: they are not used",
            settings.security_protocol,
        )
    return config


class KafkaBusConsumer:
    """One member of a consumer group, reading with kafka-python's :class:`KafkaConsumer`."""

    def __init__(self, consumer: KafkaConsumer, bootstrap: str) -> None:
        self._consumer = consumer
        self._bootstrap = bootstrap

    @property
    def assignment(self) -> list[tuple[str, int]]:
        """The partitions this member owns now."""
        return sorted((tp.topic, tp.partition) for tp in self._consumer.assignment())

    def poll(self, timeout_s: float = 1.0, max_records: int = 100) -> list[Message]:
        try:
            batches = self._consumer.poll(
                timeout_ms=int(timeout_s * 1000), max_records=max_records
            )
        except KafkaError as exc:
            raise _transient("poll", self._bootstrap, exc) from exc
        out: list[Message] = []
        for tp in sorted(batches, key=lambda t: (t.topic, t.partition)):
            for rec in batches[tp]:
                headers = {
                    k: (v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v))
                    for k, v in (rec.headers or [])
                }
                out.append(
                    Message(
                        topic=rec.topic,
                        value=rec.value if rec.value is not None else b"",
                        key=rec.key,
                        headers=headers,
                        partition=rec.partition,
                        offset=rec.offset,
                    )
                )
        return out

    def pause(self) -> None:
        """Stop fetching from every assigned partition; polls go on (heartbeats, membership,
        ``max_poll_interval_ms``) while a long handler runs."""
        self._consumer.pause(*self._consumer.assignment())

    def resume(self) -> None:
        self._consumer.resume(*self._consumer.paused())

    def rewind(self, message: Message) -> None:
        """Fetch ``message`` (and what follows it in its partition) again."""
        tp = TopicPartition(message.topic, message.partition)
        if tp in self._consumer.assignment():
            self._consumer.seek(tp, message.offset)

    def commit(self, message: Message) -> None:
        tp = TopicPartition(message.topic, message.partition)
        try:
            self._consumer.commit({tp: OffsetAndMetadata(message.offset + 1, "", -1)})
        except KafkaError as exc:
            # CommitFailedError after a rebalance is retryable: the message will come again.
            raise _transient("commit", self._bootstrap, exc) from exc

    def close(self) -> None:
        """Leave the group without committing anything more."""
        try:
            self._consumer.close(autocommit=False)
        except KafkaError as exc:  # closing is best effort
            log.warning("closing Kafka consumer: %s", exc)


class KafkaBus:
    """A :class:`~farpoint.bus.base.Bus` on a Kafka cluster (``KafkaSettings.bootstrap``)."""

    def __init__(self, settings: KafkaSettings, **consumer_overrides: Any) -> None:
        """``consumer_overrides`` go to every ``KafkaConsumer`` (e.g. ``session_timeout_ms``)."""
        self.settings = settings
        self._config = client_config(settings)  # refuses a half-configured SASL/TLS setup now
        self._consumer_overrides = consumer_overrides
        self._producer: KafkaProducer | None = None
        self._admin: KafkaAdminClient | None = None
        self._known: set[str] = set()
        self._lock = threading.Lock()

    def _common(self) -> dict[str, Any]:
        return dict(self._config)

    def _admin_client(self) -> KafkaAdminClient:
        if self._admin is None:
            try:
                self._admin = KafkaAdminClient(**self._common())
            except KafkaError as exc:
                raise _transient("connect (admin)", self.settings.bootstrap, exc) from exc
        return self._admin

    def _producer_client(self) -> KafkaProducer:
        if self._producer is None:
            try:
                self._producer = KafkaProducer(
                    acks="all",
                    enable_idempotence=True,
                    linger_ms=0,
                    max_block_ms=self.settings.request_timeout_ms,
                    **self._common(),
                )
            except KafkaError as exc:
                raise _transient("connect (producer)", self.settings.bootstrap, exc) from exc
        return self._producer

    def ensure_topics(self, topics: dict[str, int]) -> None:
        with self._lock:
            missing = {t: n for t, n in topics.items() if t not in self._known}
            if not missing:
                return
            for name, n in missing.items():
                if not name or n < 1:
                    raise InputError(f"topic {name!r} needs a name and >= 1 partition, got {n}")
            admin = self._admin_client()
            try:
                existing = set(admin.list_topics())
                new = {
                    t: {
                        "num_partitions": n,
                        "replication_factor": self.settings.replication_factor,
                    }
                    for t, n in missing.items()
                    if t not in existing
                }
                if new:
                    try:
                        admin.create_topics(new, wait_for_metadata=True)
                        log.info("created Kafka topics %s", new)
                    except TopicAlreadyExistsError:  # another process won the race
                        pass
            except KafkaError as exc:
                raise _transient("create topics", self.settings.bootstrap, exc) from exc
            self._known.update(missing)

    def publish(
        self,
        topic: str,
        value: bytes,
        key: str | bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if topic not in self._known:
            self.ensure_topics({topic: self.settings.partitions})
        producer = self._producer_client()
        hdrs = [(k, v.encode()) for k, v in with_trace(headers).items()]
        try:
            future = producer.send(topic, value=bytes(value), key=_key_bytes(key), headers=hdrs)
            future.get(timeout=self.settings.request_timeout_ms / 1000)
        except KafkaError as exc:
            raise _transient(f"publish to {topic!r}", self.settings.bootstrap, exc) from exc

    def consumer(self, topics: list[str], group: str) -> KafkaBusConsumer:
        if not topics:
            raise InputError("a consumer needs at least one topic")
        config: dict[str, Any] = {
            "group_id": group,
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest",
            "max_poll_interval_ms": self.settings.max_poll_interval_ms,
            **self._common(),
        }
        config.update(self._consumer_overrides)
        try:
            consumer = KafkaConsumer(*topics, **config)
        except KafkaError as exc:
            raise _transient("connect (consumer)", self.settings.bootstrap, exc) from exc
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"bad Kafka consumer settings: {exc}") from exc
        # Know every topic's partitions before the first poll joins the group: a member whose
        # metadata lacks a topic (just created by another process) is assigned none of its
        # partitions and is not rebalanced until the metadata ages out (5 min): a stuck stage.
        deadline = time.monotonic() + self.settings.request_timeout_ms / 1000
        try:
            for topic in topics:
                while not consumer.partitions_for_topic(topic):
                    if time.monotonic() > deadline:
                        raise TransientError(f"Kafka: no partition metadata for topic {topic!r}")
                    time.sleep(0.2)
        except (KafkaError, TransientError) as exc:
            consumer.close()
            if isinstance(exc, TransientError):
                raise
            raise _transient("connect (consumer)", self.settings.bootstrap, exc) from exc
        return KafkaBusConsumer(consumer, self.settings.bootstrap)

    def ping(self) -> None:
        """Raise :class:`TransientError` unless the cluster answers a metadata request."""
        try:
            self._admin_client().list_topics()
        except KafkaError as exc:
            raise _transient("ping", self.settings.bootstrap, exc) from exc

    def committed(self, group: str, topic: str, partition: int) -> int | None:
        """The group's committed offset for a partition (next offset to read), or None."""
        try:
            offsets = self._admin_client().list_group_offsets({group: None})
        except KafkaError as exc:
            raise _transient("list group offsets", self.settings.bootstrap, exc) from exc
        meta = offsets.get(group, {}).get(TopicPartition(topic, partition))
        return None if meta is None or meta.offset < 0 else int(meta.offset)

    def close(self) -> None:
        errors: list[str] = []
        for client in (self._producer, self._admin):
            if client is None:
                continue
            try:
                client.close()
            except KafkaError as exc:
                errors.append(str(exc))
        self._producer = None
        self._admin = None
        if errors:
            raise FarpointError(f"closing the Kafka bus: {'; '.join(errors)}")
