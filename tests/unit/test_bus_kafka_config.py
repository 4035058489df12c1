"""The kafka-python client configuration built from KafkaSettings (no broker needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient
from pydantic import ValidationError

from farpoint.bus.kafka import KafkaBus, client_config
from farpoint.errors import ConfigError
from farpoint.settings import KafkaSettings, Settings

PASSWORD = "s3cr3t-kafka-password-0123"


@pytest.fixture
def ca(tmp_path: Path) -> Path:
    path = tmp_path / "ca.crt"
    path.write_text("-----BEGIN CERTIFICATE-----\n")
    return path


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "password"
    path.write_text(PASSWORD + "\n")
    return path


def test_plaintext_by_default() -> None:
    config = client_config(KafkaSettings(bootstrap="k1:9092, k2:9092", client_id="fp"))
    assert config == {
        "bootstrap_servers": ["k1:9092", "k2:9092"],
        "client_id": "fp",
        "request_timeout_ms": 30000,
        "bootstrap_timeout_ms": 30000,
        "security_protocol": "PLAINTEXT",
    }


def test_sasl_ssl_with_password_file_and_ca(password_file: Path, ca: Path) -> None:
    settings = KafkaSettings(
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="farpoint",
        sasl_password_file=password_file,
        ssl_cafile=ca,
    )
    config = client_config(settings)
    assert config["security_protocol"] == "SASL_SSL"
    assert config["sasl_mechanism"] == "SCRAM-SHA-512"
    assert config["sasl_plain_username"] == "farpoint"
    assert config["sasl_plain_password"] == PASSWORD  # stripped of the file's newline
    assert config["ssl_cafile"] == str(ca)
    assert config["ssl_check_hostname"] is True
    assert PASSWORD not in repr(settings)  # a SecretStr: never in logs or reprs


def test_every_key_is_a_kafka_python_option_of_every_client(
    password_file: Path, ca: Path
) -> None:
    settings = KafkaSettings(
        security_protocol="SASL_SSL",
        sasl_mechanism="PLAIN",
        sasl_username="u",
        sasl_password_file=password_file,
        ssl_cafile=ca,
        ssl_certfile=ca,
        ssl_keyfile=ca,
    )
    config = client_config(settings)
    for client in (KafkaProducer, KafkaConsumer, KafkaAdminClient):
        assert set(config) <= set(client.DEFAULT_CONFIG), client.__name__


def test_ssl_without_sasl_has_no_sasl_keys(ca: Path) -> None:
    config = client_config(KafkaSettings(security_protocol="SSL", ssl_cafile=ca))
    assert config["security_protocol"] == "SSL"
    assert config["ssl_cafile"] == str(ca)
    assert not any(k.startswith("sasl_") for k in config)


def test_sasl_plaintext_inline_password_no_tls_keys(ca: Path) -> None:
    config = client_config(
        KafkaSettings(
            security_protocol="sasl_plaintext",  # case-insensitive, as env values come
            sasl_mechanism="scram-sha-256",
            sasl_username="u",
            sasl_password=PASSWORD,
            ssl_cafile=ca,  # ignored (with a warning) without TLS
        )
    )
    assert config["security_protocol"] == "SASL_PLAINTEXT"
    assert config["sasl_mechanism"] == "SCRAM-SHA-256"
    assert config["sasl_plain_password"] == PASSWORD
    assert not any(k.startswith("ssl_") for k in config)


def test_half_configured_sasl_is_refused_before_connecting() -> None:
    settings = KafkaSettings(security_protocol="SASL_SSL", sasl_username="u")
    with pytest.raises(ConfigError, match="SASL_MECHANISM.*SASL_PASSWORD") as info:
        client_config(settings)
    assert "SASL_USERNAME" not in info.value.message
    with pytest.raises(ConfigError, match="needs FARPOINT_KAFKA__SASL_PASSWORD"):
        KafkaBus(settings.model_copy(update={"sasl_mechanism": "PLAIN"}))


def test_missing_tls_file_is_refused(tmp_path: Path) -> None:
    settings = KafkaSettings(security_protocol="SSL", ssl_cafile=tmp_path / "nope.crt")
    with pytest.raises(ConfigError, match="SSL_CAFILE: no such file"):
        client_config(settings)


def test_bad_values_fail_validation(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="security_protocol"):
        KafkaSettings(security_protocol="SASL")
    with pytest.raises(ValidationError, match="sasl_mechanism"):
        KafkaSettings(sasl_mechanism="GSSAPI")
    with pytest.raises(ValidationError, match="cannot read the Kafka SASL password"):
        KafkaSettings(sasl_password_file=tmp_path / "absent")


def test_settings_from_the_chart_variables(
    monkeypatch: pytest.MonkeyPatch, password_file: Path, ca: Path
) -> None:
    env = {
        "FARPOINT_KAFKA__BOOTSTRAP": "kafka-bootstrap.kafka.svc:9093",
        "FARPOINT_KAFKA__SECURITY_PROTOCOL": "SASL_SSL",
        "FARPOINT_KAFKA__SASL_MECHANISM": "SCRAM-SHA-512",
        "FARPOINT_KAFKA__SASL_USERNAME": "farpoint",
        "FARPOINT_KAFKA__SASL_PASSWORD_FILE": str(password_file),
        "FARPOINT_KAFKA__SSL_CAFILE": str(ca),
        "FARPOINT_KAFKA__TOPIC": "farpoint.shards.ready",
        "FARPOINT_KAFKA__CONSUMER_GROUP": "farpoint.embedding",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    kafka = Settings().kafka
    assert kafka.consumer_group == "farpoint.embedding"
    assert kafka.topic == "farpoint.shards.ready"
    config = client_config(kafka)
    assert config["bootstrap_servers"] == ["kafka-bootstrap.kafka.svc:9093"]
    assert config["sasl_plain_password"] == PASSWORD
    assert config["ssl_cafile"] == str(ca)
