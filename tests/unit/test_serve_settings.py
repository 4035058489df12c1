"""`farpoint serve` listen address, port and log level: flags, else FARPOINT_*, else defaults."""

from __future__ import annotations

import argparse

import pytest
from pydantic import ValidationError

from farpoint.envcheck import unknown_variables
from farpoint.errors import ConfigError
from farpoint.serve import SERVICES, add_arguments, listen_config
from farpoint.settings import Settings


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FARPOINT_HOST", "FARPOINT_PORT", "FARPOINT_LOG_LEVEL", "FARPOINT_SERVICE"):
        monkeypatch.delenv(name, raising=False)


def test_local_defaults_loopback_and_the_services_own_port() -> None:
    assert listen_config(parse("gateway"), Settings()) == ("127.0.0.1", 8080, "info")
    assert listen_config(parse("selection"), Settings())[1] == SERVICES["selection"] == 8084


def test_environment_as_the_chart_sets_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FARPOINT_HOST", "0.0.0.0")
    monkeypatch.setenv("FARPOINT_PORT", "8000")
    monkeypatch.setenv("FARPOINT_LOG_LEVEL", "WARNING")  # the chart's values are upper case
    monkeypatch.setenv("FARPOINT_SERVICE", "embedding")
    settings = Settings()
    assert listen_config(parse("embedding"), settings) == ("0.0.0.0", 8000, "warning")
    # flags win over the environment
    args = parse("embedding", "--host", "127.0.0.2", "--port", "9001", "--log-level", "DEBUG")
    assert listen_config(args, settings) == ("127.0.0.2", 9001, "debug")


def test_service_name_mismatch_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FARPOINT_SERVICE", "ingest")
    with pytest.raises(ConfigError, match="FARPOINT_SERVICE=ingest but `farpoint serve export`"):
        listen_config(parse("export"), Settings())


def test_bad_port_and_level_fail_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FARPOINT_PORT", "70000")
    with pytest.raises(ValidationError, match="port"):
        Settings()
    monkeypatch.delenv("FARPOINT_PORT")
    monkeypatch.setenv("FARPOINT_LOG_LEVEL", "loud")
    with pytest.raises(ValidationError, match="log_level"):
        Settings()
    with pytest.raises(SystemExit):
        parse("gateway", "--log-level", "loud")


def test_serve_variables_are_known_to_the_env_checker() -> None:
    names = ["FARPOINT_HOST", "FARPOINT_PORT", "FARPOINT_LOG_LEVEL", "FARPOINT_SERVICE"]
    assert unknown_variables(names) == []
    assert unknown_variables(["FARPOINT_LISTEN_HOST"]) == ["FARPOINT_LISTEN_HOST"]
