"""The :class:`farpoint.bus.base.Bus` contract: MemoryBus and KafkaBus behave the same.

Subclasses provide a ``bus`` fixture and use the ``unique_name`` fixture (tests/conftest.py) for
topics and groups, so tests never see each other's messages, even against a shared broker.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import defaultdict
from typing import Any

import pytest

from farpoint.bus import TRACE_HEADER, Bus, Consumer, Message, run_worker
from farpoint.errors import InputError, TransientError

DEADLINE_S = 60.0


def drain(consumer: Consumer, n: int, timeout_s: float = DEADLINE_S) -> list[Message]:
    """Poll until ``n`` messages arrived (or the deadline passed); return them in arrival order."""
    out: list[Message] = []
    deadline = time.monotonic() + timeout_s
    while len(out) < n and time.monotonic() < deadline:
        out.extend(consumer.poll(timeout_s=0.5, max_records=n - len(out)))
    return out


def quiet(consumer: Consumer, seconds: float) -> list[Message]:
    """Everything delivered within ``seconds`` (expected: nothing)."""
    out: list[Message] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        out.extend(consumer.poll(timeout_s=0.3))
    return out


def run_in_thread(target: Any, *args: Any, **kwargs: Any) -> tuple[threading.Thread, dict]:
    result: dict[str, Any] = {}

    def body() -> None:
        try:
            result["value"] = target(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            result["error"] = exc

    t = threading.Thread(target=body, daemon=True)
    t.start()
    return t, result


class BusContract:
    """Every Bus passes these."""

    def test_produce_consume_in_a_group_keeps_per_key_order(
        self, bus: Bus, unique_name: str
    ) -> None:
        topic, group = f"{unique_name}.in", f"{unique_name}-g"
        bus.ensure_topics({topic: 3})
        bus.ensure_topics({topic: 3})  # idempotent
        sent = [(f"key-{i % 5}", f"{i}".encode()) for i in range(30)]
        for key, value in sent:
            bus.publish(topic, value, key=key)
        consumer = bus.consumer([topic], group)
        got = drain(consumer, 30)
        assert sorted(int(m.value) for m in got) == list(range(30))
        by_key: dict[bytes, list[int]] = defaultdict(list)
        partition_of: dict[bytes, set[int]] = defaultdict(set)
        for m in got:
            assert m.topic == topic
            assert m.key is not None
            by_key[m.key].append(int(m.value))
            partition_of[m.key].add(m.partition)
        for key, values in by_key.items():
            assert values == sorted(values), f"order broken for {key!r}"
            assert len(partition_of[key]) == 1, "one key must map to one partition"
        assert {p for ps in partition_of.values() for p in ps} <= {0, 1, 2}
        for m in got:
            consumer.commit(m)
        consumer.close()

        # Everything was committed: the group's next member gets only new messages.
        nxt = bus.consumer([topic], group)
        bus.publish(topic, b"30", key="key-0")
        later = drain(nxt, 1)
        assert [m.value for m in later] == [b"30"]
        assert quiet(nxt, 1.0) == []
        nxt.close()

    def test_offsets_count_up_per_partition(self, bus: Bus, unique_name: str) -> None:
        topic = f"{unique_name}.one"
        bus.ensure_topics({topic: 1})
        for i in range(5):
            bus.publish(topic, str(i).encode(), key="same")
        consumer = bus.consumer([topic], f"{unique_name}-g")
        got = drain(consumer, 5)
        consumer.close()
        assert [(m.partition, m.offset, m.value) for m in got] == [
            (0, i, str(i).encode()) for i in range(5)
        ]

    def test_separate_groups_each_get_everything(self, bus: Bus, unique_name: str) -> None:
        topic = f"{unique_name}.fan"
        bus.ensure_topics({topic: 2})
        for i in range(6):
            bus.publish(topic, str(i).encode(), key=str(i))
        a = bus.consumer([topic], f"{unique_name}-a")
        b = bus.consumer([topic], f"{unique_name}-b")
        got_a, got_b = drain(a, 6), drain(b, 6)
        a.close()
        b.close()
        assert sorted(m.value for m in got_a) == sorted(m.value for m in got_b)
        assert len(got_a) == 6

    def test_uncommitted_messages_go_to_the_next_consumer(
        self, bus: Bus, unique_name: str
    ) -> None:
        topic, group = f"{unique_name}.work", f"{unique_name}-g"
        bus.ensure_topics({topic: 1})
        for i in range(5):
            bus.publish(topic, f"job-{i}".encode(), key="k")
        first = bus.consumer([topic], group)
        took = drain(first, 5)
        assert [m.value for m in took] == [f"job-{i}".encode() for i in range(5)]
        first.commit(took[1])  # jobs 0 and 1 are done; 2..4 were taken but not committed
        first.close()  # the consumer goes away without committing the rest

        second = bus.consumer([topic], group)
        again = drain(second, 3)
        assert [(m.offset, m.value) for m in again] == [
            (i, f"job-{i}".encode()) for i in (2, 3, 4)
        ]
        assert quiet(second, 0.5) == []
        second.close()

    def test_members_of_a_group_share_the_partitions(self, bus: Bus, unique_name: str) -> None:
        topic, group = f"{unique_name}.shared", f"{unique_name}-g"
        bus.ensure_topics({topic: 4})
        for i in range(40):
            bus.publish(topic, str(i).encode(), key=f"k{i}")
        stop = threading.Event()
        seen: dict[str, set[int]] = {"a": set(), "b": set()}
        members: dict[str, Any] = {}

        def member(name: str) -> None:
            consumer = bus.consumer([topic], group)
            members[name] = consumer
            try:
                while not stop.is_set():
                    for m in consumer.poll(timeout_s=0.3):
                        seen[name].add(int(m.value))
                        consumer.commit(m)
            finally:
                consumer.close()

        threads = [run_in_thread(member, n)[0] for n in ("a", "b")]
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline and len(seen["a"] | seen["b"]) < 40:
            time.sleep(0.1)
        # Let the group settle so that both members hold partitions, then stop them.
        snapshot: dict[str, set[tuple[str, int]]] = {}
        settle = time.monotonic() + 30
        while time.monotonic() < settle:
            snapshot = {
                n: set(members[n].assignment) if n in members else set() for n in ("a", "b")
            }
            if snapshot["a"] and snapshot["b"] and len(snapshot["a"] | snapshot["b"]) == 4:
                break
            time.sleep(0.2)
        stop.set()
        for t in threads:
            t.join(30)
        assert seen["a"] | seen["b"] == set(range(40))
        a_parts, b_parts = snapshot["a"], snapshot["b"]
        assert a_parts and b_parts, "both members should own partitions"
        assert not a_parts & b_parts
        assert a_parts | b_parts == {(topic, p) for p in range(4)}

    def test_trace_id_header(self, bus: Bus, unique_name: str) -> None:
        topic = f"{unique_name}.trace"
        bus.ensure_topics({topic: 1})
        bus.publish(topic, b"given", headers={TRACE_HEADER: "abc123", "tenant": "acme"})
        bus.publish(topic, b"fresh")
        consumer = bus.consumer([topic], f"{unique_name}-g")
        got = drain(consumer, 2)
        consumer.close()
        assert got[0].headers == {TRACE_HEADER: "abc123", "tenant": "acme"}
        assert re.fullmatch(r"[0-9a-f]{32}", got[1].headers[TRACE_HEADER])

    def test_poison_message_goes_to_dead_letter_and_partition_keeps_flowing(
        self, bus: Bus, unique_name: str
    ) -> None:
        topic, group = f"{unique_name}.jobs", f"{unique_name}-g"
        bus.ensure_topics({topic: 1, f"{topic}.dlq": 1})
        bus.publish(topic, json.dumps({"n": 1}).encode(), key="k")
        bus.publish(topic, b"{not json", key="k", headers={TRACE_HEADER: "t-parse"})
        bus.publish(topic, json.dumps({"n": -1}).encode(), key="k", headers={TRACE_HEADER: "t-in"})
        bus.publish(topic, json.dumps({"n": 3}).encode(), key="k")
        handled: list[int] = []
        stop = threading.Event()

        def handler(message: Message) -> None:
            n = json.loads(message.value)["n"]  # ValueError on the parse-poison message
            if n < 0:
                raise InputError(f"negative n {n}")
            handled.append(n)
            if n == 3:
                stop.set()

        thread, result = run_in_thread(
            run_worker, bus, [topic], group, handler, stop_event=stop, backoff_s=0.01
        )
        thread.join(DEADLINE_S)
        assert not thread.is_alive()
        assert "error" not in result, result.get("error")
        assert handled == [1, 3]
        assert result["value"] == 4

        dlq = bus.consumer([f"{topic}.dlq"], f"{unique_name}-dlq-reader")
        dead = drain(dlq, 2)
        assert quiet(dlq, 0.5) == []
        dlq.close()
        assert [m.value for m in dead] == [b"{not json", json.dumps({"n": -1}).encode()]
        assert [m.headers["error-type"] for m in dead] == ["JSONDecodeError", "InputError"]
        assert dead[1].headers["error"] == "negative n -1"
        assert [m.headers["original-offset"] for m in dead] == ["1", "2"]
        assert {m.headers["original-topic"] for m in dead} == {topic}
        assert {m.headers["original-partition"] for m in dead} == {"0"}
        assert [m.headers[TRACE_HEADER] for m in dead] == ["t-parse", "t-in"]
        assert all(m.key == b"k" for m in dead)

        # All four were committed: the group has nothing left.
        again = bus.consumer([topic], group)
        assert quiet(again, 1.5) == []
        again.close()

    def test_a_message_that_keeps_failing_unexpectedly_is_dead_lettered_after_retries(
        self, bus: Bus, unique_name: str
    ) -> None:
        topic, group = f"{unique_name}.buggy", f"{unique_name}-g"
        bus.ensure_topics({topic: 1, f"{topic}.dlq": 1})
        bus.publish(topic, b"crashes")
        bus.publish(topic, b"fine")
        attempts: dict[bytes, int] = defaultdict(int)
        stop = threading.Event()

        def handler(message: Message) -> None:
            attempts[message.value] += 1
            if message.value == b"crashes":
                raise ZeroDivisionError("a bug, not the broker")
            stop.set()

        thread, result = run_in_thread(
            run_worker, bus, [topic], group, handler, stop_event=stop, max_retries=2,
            backoff_s=0.01,
        )
        thread.join(DEADLINE_S)
        assert not thread.is_alive()
        assert "error" not in result, result.get("error")
        assert attempts == {b"crashes": 3, b"fine": 1}
        dlq = bus.consumer([f"{topic}.dlq"], f"{unique_name}-dlq-reader")
        dead = drain(dlq, 1)
        dlq.close()
        assert [m.value for m in dead] == [b"crashes"]
        assert dead[0].headers["error-type"] == "ZeroDivisionError"

    def test_retryable_errors_are_retried_then_left_uncommitted(
        self, bus: Bus, unique_name: str
    ) -> None:
        topic, group = f"{unique_name}.flaky", f"{unique_name}-g"
        bus.ensure_topics({topic: 1})
        bus.publish(topic, b"heals")
        bus.publish(topic, b"never")
        attempts: dict[bytes, int] = defaultdict(int)

        def handler(message: Message) -> None:
            attempts[message.value] += 1
            if message.value == b"heals" and attempts[message.value] <= 2:
                raise TransientError("store hiccup")
            if message.value == b"never":
                raise TransientError("store down")

        stop = threading.Event()
        with pytest.raises(TransientError, match="store down"):
            run_worker(
                bus, [topic], group, handler, stop_event=stop, max_retries=2, backoff_s=0.01
            )
        assert attempts == {b"heals": 3, b"never": 3}

        # "heals" was committed; "never" was not, so the group's next member gets it again.
        nxt = bus.consumer([topic], group)
        assert [m.value for m in drain(nxt, 1)] == [b"never"]
        nxt.close()
