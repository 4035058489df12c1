"""The consume loop every service runs: poll, handle, commit; poison to the dead-letter topic.

Delivery is at-least-once (see :mod:`farpoint.bus.base`): the offset of a message is committed
only after ``handler(message)`` returned, i.e. after its outputs were written. A handler failure
decides the message's fate through farpoint's error tree (:mod:`farpoint.errors`):

* a non-retryable :class:`FarpointError` (bad input, a missing object) or a parse error
  (``ValueError`` -- JSON, UTF-8, pydantic validation -- or a protobuf ``DecodeError``) makes it a
  *poison* message: it is published to ``<topic>.dlq`` with the error in its headers and then
  committed, so the partition keeps flowing;
* any other exception that still fails after ``max_retries`` retries (a bug, CUDA out of memory)
  is dead-lettered the same way;
* before a message is given up on (dead-lettered or skipped), ``on_give_up(message, error)``
  runs: the services' stage guard marks the message's job ``failed`` there with the stage and
  reason, so no job is stranded. If it raises, nothing is committed and the message comes back;
* a retryable error (:class:`TransientError`) or any other exception is retried in place with
  exponential backoff; when the retries are spent the error propagates, the consumer closes
  without committing, and the message goes to the next member of the group (the process is
  expected to die and be restarted by its supervisor).

``on_poll()`` runs at every turn of the poll loop: the liveness probe's sign that the loop is
not wedged.

Long work stays off the poll loop: the handler runs in a worker thread while the consumer is
paused, and the loop keeps polling (nothing is fetched; heartbeats go on and
``max_poll_interval_ms`` is never exceeded), so a handler that runs for 20 minutes keeps its
partition and does not run a second time elsewhere. One message is taken at a time. A partition
assigned during the wait (a rebalance) is rewound and read after the handler returns.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from farpoint.bus.base import Bus, Consumer, Message
from farpoint.bus.trace import TRACE_HEADER, with_trace
from farpoint.errors import FarpointError
from farpoint.settings import KafkaSettings

log = logging.getLogger(__name__)

# the default of the one setting (FARPOINT_KAFKA__DEAD_LETTER_SUFFIX); services pass the setting
DLQ_SUFFIX: str = KafkaSettings.model_fields["dead_letter_suffix"].default
_MAX_ERROR_HEADER = 1000


def _parse_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [ValueError]
    try:
        from google.protobuf.message import DecodeError

        errors.append(DecodeError)
    except ImportError:  # protobuf is a dependency, but the worker does not need it
        pass
    return tuple(errors)


def is_poison(exc: BaseException) -> bool:
    """Whether a handler failure means the message itself is bad (dead-letter it, don't retry)."""
    if isinstance(exc, FarpointError):
        return not exc.retryable
    return isinstance(exc, _parse_errors())


def dead_letter(bus: Bus, message: Message, exc: BaseException, suffix: str = DLQ_SUFFIX) -> str:
    """Publish ``message`` to its dead-letter topic with the failure in its headers; return it."""
    error = (str(exc).splitlines() or [""])[0][:_MAX_ERROR_HEADER] or type(exc).__name__
    headers = with_trace(message.headers)
    headers.update(
        {
            "error": error,
            "error-type": type(exc).__name__,
            "original-topic": message.topic,
            "original-partition": str(message.partition),
            "original-offset": str(message.offset),
        }
    )
    topic = message.topic + suffix
    bus.publish(topic, message.value, key=message.key, headers=headers)
    return topic


def run_worker(
    bus: Bus,
    topics: list[str],
    group: str,
    handler: Callable[[Message], None],
    *,
    stop_event: threading.Event,
    dead_letter: bool = True,
    max_retries: int = 3,
    backoff_s: float = 0.5,
    poll_timeout_s: float = 0.5,
    max_records: int = 10,
    dlq_suffix: str = DLQ_SUFFIX,
    on_give_up: Callable[[Message, BaseException], None] | None = None,
    on_poll: Callable[[], None] | None = None,
    offload: bool = True,
) -> int:
    """Consume ``topics`` as a member of ``group`` until ``stop_event`` is set.

    Returns how many messages were handled (successfully or dead-lettered). With
    ``dead_letter=False`` poison messages are logged and skipped instead. Raises the handler's
    error after ``max_retries`` retries of a retryable failure (nothing is committed for it).
    ``offload=False`` runs the handler on the poll loop itself (up to ``max_records`` a poll).
    """
    consumer = bus.consumer(topics, group)
    executor = ThreadPoolExecutor(1, thread_name_prefix=f"handler-{group}") if offload else None
    handled = 0
    try:
        while not stop_event.is_set():
            if on_poll is not None:
                on_poll()
            batch = consumer.poll(
                timeout_s=poll_timeout_s, max_records=1 if offload else max_records
            )
            for message in batch:
                if stop_event.is_set():
                    # Leave the rest uncommitted: the group redelivers them.
                    return handled

                def work(message: Message = message) -> None:
                    _handle(
                        bus, message, handler, dead_letter, max_retries, backoff_s, dlq_suffix,
                        on_give_up,
                    )

                if executor is None:
                    work()
                else:
                    _off_the_loop(consumer, executor, work, poll_timeout_s, on_poll)
                consumer.commit(message)
                handled += 1
        return handled
    finally:
        if executor is not None:
            executor.shutdown(wait=False)
        consumer.close()


def _off_the_loop(
    consumer: Consumer,
    executor: ThreadPoolExecutor,
    work: Callable[[], None],
    poll_timeout_s: float,
    on_poll: Callable[[], None] | None,
) -> None:
    """Run ``work`` in the executor with the consumer paused, polling until it is done."""
    consumer.pause()
    try:
        future = executor.submit(work)
        while True:
            try:
                future.result(timeout=poll_timeout_s)  # re-raises the handler's error
                return
            except FutureTimeout:
                pass
            if on_poll is not None:
                on_poll()
            extra = consumer.poll(timeout_s=0, max_records=1)
            for m in extra:  # a partition assigned by a rebalance meanwhile: read it later
                consumer.rewind(m)
            if extra:
                consumer.pause()
    finally:
        consumer.resume()


def _handle(
    bus: Bus,
    message: Message,
    handler: Callable[[Message], None],
    dead_letter_on: bool,
    max_retries: int,
    backoff_s: float,
    dlq_suffix: str,
    on_give_up: Callable[[Message, BaseException], None] | None = None,
) -> None:
    trace = message.headers.get(TRACE_HEADER, "-")
    where = f"{message.topic}[{message.partition}]@{message.offset}"
    attempt = 0
    while True:
        try:
            handler(message)
            return
        except Exception as exc:
            if is_poison(exc):
                if on_give_up is not None:
                    on_give_up(message, exc)
                if dead_letter_on:
                    dlq = dead_letter(bus, message, exc, dlq_suffix)
                    log.warning("poison message %s (trace %s) -> %s: %s", where, trace, dlq, exc)
                else:
                    log.error("poison message %s (trace %s) skipped: %s", where, trace, exc)
                return
            if attempt >= max_retries and dead_letter_on and not _infrastructure_failure(exc):
                # Not a known transient failure and it keeps failing: a bug or an input our code
                # cannot handle. Dead-letter it so the partition keeps flowing instead of the
                # group redelivering it forever.
                if on_give_up is not None:
                    on_give_up(message, exc)
                dlq = dead_letter(bus, message, exc, dlq_suffix)
                log.error(
                    "message %s (trace %s) failed %d times with an unexpected error -> %s: %r",
                    where, trace, attempt + 1, dlq, exc,
                )
                return
            if attempt >= max_retries:
                log.error(
                    "message %s (trace %s) failed %d times, giving up uncommitted: %s",
                    where, trace, attempt + 1, exc,
                )
                raise
            delay = backoff_s * (2**attempt)
            attempt += 1
            log.warning(
                "message %s (trace %s) failed (%s); retry %d/%d in %.2fs",
                where, trace, exc, attempt, max_retries, delay,
            )
            time.sleep(delay)


def _infrastructure_failure(exc: BaseException) -> bool:
    """A failure of a dependency (store, broker, network) that a redelivery may heal."""
    from farpoint.errors import FarpointError

    if isinstance(exc, FarpointError):
        return exc.retryable
    return isinstance(exc, OSError | ConnectionError | TimeoutError)
