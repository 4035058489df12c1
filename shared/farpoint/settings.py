"""Settings: one pydantic-settings model, nested per concern, read from ``FARPOINT_*`` variables.

Nested fields use a double underscore: ``FARPOINT_S3__ENDPOINT=127.0.0.1:8333``,
``FARPOINT_KAFKA__BOOTSTRAP=127.0.0.1:9092``. Secrets may also come from files
(``FARPOINT_S3__SECRET_KEY_FILE``), as Kubernetes Secrets mount them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _cache_dir() -> Path:
    import os

    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "farpoint"


class S3Settings(BaseModel):
    """Object storage spoken as S3 (MinIO in production, SeaweedFS in dev/tests)."""

    endpoint: str = "127.0.0.1:8333"
    access_key: str = "farpoint"
    secret_key: str = "farpoint-dev-secret"
    secret_key_file: Path | None = None
    secure: bool = False
    region: str = "us-east-1"
    bucket: str = "farpoint"
    part_size: int = Field(16 * 1024 * 1024, ge=5 * 1024 * 1024)
    timeout_s: float = 30.0

    @model_validator(mode="after")
    def _secret_from_file(self) -> S3Settings:
        if self.secret_key_file is not None:
            self.secret_key = self.secret_key_file.read_text().strip()
        return self


class KafkaSettings(BaseModel):
    """The Kafka bus (kafka-python client)."""

    bootstrap: str = "127.0.0.1:9092"
    client_id: str = "farpoint"
    topic_prefix: str = "farpoint."
    partitions: int = Field(6, ge=1)
    replication_factor: int = Field(1, ge=1)
    dead_letter_suffix: str = ".dlq"
    request_timeout_ms: int = 30000
    max_poll_interval_ms: int = 900000


class SecuritySettings(BaseModel):
    """The REST service's limits and authentication (docs/security.md)."""

    auth_enabled: bool = True
    default_tenant: str = "default"
    max_upload_bytes: int = Field(2 * 1024**3, ge=1)
    max_request_bytes: int = Field(1024 * 1024, ge=1024)
    allowed_kinds: list[str] = Field(default_factory=lambda: ["video", "image", "archive"])
    max_k: int = Field(100_000, ge=1)
    max_concurrent_jobs: int = Field(8, ge=1)
    presign_expiry_s: int = Field(900, ge=1, le=7 * 24 * 3600)
    key_cache_s: float = Field(10.0, ge=0.0)


class Settings(BaseSettings):
    """All of farpoint's settings."""

    model_config = SettingsConfigDict(
        env_prefix="FARPOINT_", env_nested_delimiter="__", extra="ignore"
    )

    cache_dir: Path = Field(default_factory=_cache_dir)
    device: str = "auto"
    dev_mode: bool = True
    s3: S3Settings = Field(default_factory=S3Settings)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests build their own :class:`Settings`)."""
    return Settings()
