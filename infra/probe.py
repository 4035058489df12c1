"""Health probes for infra/up.sh: is a healthy Kafka broker / S3 server answering on an address?

Usage: ``python infra/probe.py kafka 127.0.0.1:9092`` or ``... s3 127.0.0.1:8333``.
Exit 0 when healthy, 1 when something answers but is not healthy (or rejects our credentials),
2 when nothing answers. One line on stderr says why. The S3 probe signs in with the same
``FARPOINT_S3__ACCESS_KEY`` / ``FARPOINT_S3__SECRET_KEY`` (or the farpoint defaults) the tests use.
"""

from __future__ import annotations

import logging
import signal
import socket
import sys

TIME_LIMIT_S = 10


def _port_open(address: str, timeout_s: float = 1.0) -> bool:
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout_s):
            return True
    except OSError:
        return False


def probe_kafka(address: str) -> tuple[int, str]:
    if not _port_open(address):
        return 2, f"nothing listens on {address}"
    from kafka.admin import KafkaAdminClient

    try:
        admin = KafkaAdminClient(
            bootstrap_servers=address, request_timeout_ms=5000
        )
        try:
            admin.list_topics()
            return 0, f"Kafka broker healthy on {address}"
        finally:
            admin.close()
    except Exception as exc:  # any failure means "not a healthy Kafka"
        return 1, f"{address} answers but is not a healthy Kafka broker: {exc}"


def probe_s3(address: str) -> tuple[int, str]:
    if not _port_open(address):
        return 2, f"nothing listens on {address}"
    from farpoint.settings import Settings

    s3 = Settings().s3
    from minio import Minio

    try:
        client = Minio(
            address, access_key=s3.access_key, secret_key=s3.secret_key, secure=s3.secure,
            region=s3.region,
        )
        client.list_buckets()
        return 0, f"S3 server healthy on {address}"
    except Exception as exc:
        return 1, f"{address} answers but is not an S3 server that accepts our credentials: {exc}"


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.CRITICAL)
    if len(argv) != 3 or argv[1] not in ("kafka", "s3"):
        sys.stderr.write("usage: probe.py kafka|s3 HOST:PORT\n")
        return 64

    def _give_up(_signum: int, _frame: object) -> None:
        sys.stderr.write(f"{argv[2]} answers but gave no {argv[1]} reply in {TIME_LIMIT_S} s\n")
        sys.exit(1)

    signal.signal(signal.SIGALRM, _give_up)
    signal.alarm(TIME_LIMIT_S)
    code, why = (probe_kafka if argv[1] == "kafka" else probe_s3)(argv[2])
    sys.stderr.write(why + "\n")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
