"""Start-up refusal of default or placeholder credentials outside dev mode.

Call :func:`validate_production` once when a service starts (``farpoint serve``), before it
opens a port. With ``FARPOINT_DEV_MODE=true`` it only warns; otherwise it raises
:class:`~farpoint.errors.ConfigError` naming every problem: the S3 credentials are the
development defaults of :class:`~farpoint.settings.S3Settings` or a well-known placeholder
(``minioadmin``, ``changeme``, ...), the S3 secret is shorter than 16 characters, or API-key
authentication is switched off. Secrets belong in the environment or mounted files (Helm
Secrets -> ``FARPOINT_S3__SECRET_KEY_FILE``), never in values files or images.
"""

from __future__ import annotations

import logging

from farpoint.errors import ConfigError
from farpoint.settings import S3Settings, Settings

log = logging.getLogger(__name__)

PLACEHOLDERS = frozenset(
    {
        "",
        "admin",
        "changeme",
        "change-me",
        "change_me",
        "default",
        "example",
        "minio",
        "minioadmin",
        "minio123",
        "password",
        "placeholder",
        "replace-me",
        "secret",
        "test",
        "xxx",
    }
)
_PLACEHOLDER_PARTS = ("changeme", "change-me", "placeholder", "replace-me", "dev-secret", "example")
MIN_SECRET_LEN = 16


def _is_placeholder(value: str, default: str) -> bool:
    v = value.strip().lower()
    return v == default.lower() or v in PLACEHOLDERS or any(p in v for p in _PLACEHOLDER_PARTS)


def credential_problems(settings: Settings) -> list[str]:
    """What is unfit for production in ``settings`` (empty when nothing)."""
    fields = S3Settings.model_fields
    problems = []
    if _is_placeholder(settings.s3.access_key, str(fields["access_key"].default)):
        problems.append("FARPOINT_S3__ACCESS_KEY is a default or placeholder value")
    if _is_placeholder(settings.s3.secret_key, str(fields["secret_key"].default)):
        problems.append("FARPOINT_S3__SECRET_KEY is a default or placeholder value")
    elif len(settings.s3.secret_key) < MIN_SECRET_LEN:
        problems.append(f"FARPOINT_S3__SECRET_KEY is shorter than {MIN_SECRET_LEN} characters")
    if not settings.security.auth_enabled:
        problems.append("FARPOINT_SECURITY__AUTH_ENABLED=false (API keys switched off)")
    return problems


def validate_production(settings: Settings) -> None:
    """Refuse to start with default/placeholder credentials unless ``settings.dev_mode``."""
    problems = credential_problems(settings)
    if not problems:
        return
    if settings.dev_mode:
        for problem in problems:
            log.warning("dev mode: %s (refused outside FARPOINT_DEV_MODE=true)", problem)
        return
    raise ConfigError(
        "refusing to start outside dev mode: "
        + "; ".join(problems)
        + " (set real secrets from the environment or mounted files, or FARPOINT_DEV_MODE=true)"
    )
