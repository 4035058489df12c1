"""Start-up refusal of default / placeholder credentials outside dev mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from farpoint.errors import ConfigError
from farpoint.security.production import credential_problems, validate_production
from farpoint.settings import S3Settings, SecuritySettings, Settings

GOOD_SECRET = "0f4c1e9a7b3d52c8e6a1f0b9d8c7e6a5"


def settings(dev: bool, access: str = "svc-farpoint", secret: str = GOOD_SECRET, **sec: object):
    return Settings(
        dev_mode=dev,
        s3=S3Settings(access_key=access, secret_key=secret),
        security=SecuritySettings(**sec),
    )


def test_defaults_refused_outside_dev_mode() -> None:
    defaults = Settings(dev_mode=False, s3=S3Settings())
    with pytest.raises(ConfigError, match="ACCESS_KEY is a default") as info:
        validate_production(defaults)
    assert "SECRET_KEY is a default" in info.value.message
    assert "farpoint-dev-secret" not in info.value.message  # never echo the secret


@pytest.mark.parametrize(
    ("access", "secret"),
    [
        ("minioadmin", GOOD_SECRET),
        ("svc", "minioadmin"),
        ("svc", "CHANGEME"),
        ("svc", "please-changeme-now-0123"),
        ("svc", "my-placeholder-secret-value"),
        ("svc", "short-secret"),
        ("", GOOD_SECRET),
    ],
)
def test_placeholders_refused(access: str, secret: str) -> None:
    with pytest.raises(ConfigError, match="refusing to start"):
        validate_production(settings(False, access, secret))


def test_auth_off_refused_outside_dev_mode() -> None:
    with pytest.raises(ConfigError, match="AUTH_ENABLED=false"):
        validate_production(settings(False, auth_enabled=False))


def test_real_credentials_pass() -> None:
    assert credential_problems(settings(False)) == []
    validate_production(settings(False))


def test_dev_mode_only_warns(caplog: pytest.LogCaptureFixture) -> None:
    validate_production(Settings(dev_mode=True, s3=S3Settings()))
    assert "dev mode" in caplog.text


def test_secret_from_mounted_file(tmp_path: Path) -> None:
    f = tmp_path / "secret"
    f.write_text(GOOD_SECRET + "\n")
    s = Settings(dev_mode=False, s3=S3Settings(access_key="svc", secret_key_file=f))
    validate_production(s)
    f.write_text("changeme\n")
    with pytest.raises(ConfigError):
        validate_production(Settings(dev_mode=False, s3=S3Settings(secret_key_file=f)))


def test_env_dev_mode_false(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FARPOINT_DEV_MODE", "false")
    with pytest.raises(ConfigError):
        validate_production(Settings())
    monkeypatch.setenv("FARPOINT_DEV_MODE", "true")
    validate_production(Settings())
