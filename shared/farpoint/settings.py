"""Settings: one pydantic-settings model, nested per concern, read from ``FARPOINT_*`` variables.

Nested fields use a double underscore: ``FARPOINT_S3__ENDPOINT=127.0.0.1:8333``,
``FARPOINT_KAFKA__BOOTSTRAP=127.0.0.1:9092``. Secrets may also come from files
(``FARPOINT_S3__SECRET_KEY_FILE``, ``FARPOINT_KAFKA__SASL_PASSWORD_FILE``), as Kubernetes Secrets
mount them. The Helm chart (charts/farpoint) sets only variables that map to a field here;
tests/chart/test_env_contract.py holds it to that (:mod:`farpoint.envcheck`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args

from pydantic import (
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict


def _cache_dir() -> Path:
    import os

    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "farpoint"


def _read_secret(path: Path, what: str) -> str:
    try:
        return path.read_text().strip()
    except OSError as exc:
        raise ValueError(f"cannot read {what} from {path}: {exc.strerror or exc}") from exc


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
            self.secret_key = _read_secret(self.secret_key_file, "the S3 secret key")
        return self


SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


class KafkaSettings(BaseModel):
    """The Kafka bus (kafka-python client), its security and this service's place on it.

    ``security_protocol`` and the ``sasl_*`` / ``ssl_*`` fields go to every kafka-python client
    (see :func:`farpoint.bus.kafka.client_config`); SASL needs a mechanism, a user name and a
    password (``sasl_password`` or, as the chart mounts it, ``sasl_password_file``). ``topic`` and
    ``consumer_group`` describe one consuming service as its deployment sees it (the chart sets
    both, KEDA scales on that group's lag): the worker consumes as ``consumer_group`` when set and
    refuses to start when ``topic`` is not one it consumes.
    """

    bootstrap: str = "127.0.0.1:9092"
    client_id: str = "farpoint"
    topic_prefix: str = "farpoint."
    partitions: int = Field(6, ge=1)
    replication_factor: int = Field(1, ge=1)
    dead_letter_suffix: str = ".dlq"
    request_timeout_ms: int = 30000
    max_poll_interval_ms: int = 900000
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    sasl_password_file: Path | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    ssl_check_hostname: bool = True
    topic: str | None = None
    consumer_group: str | None = None

    @field_validator("security_protocol", "sasl_mechanism", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("sasl_mechanism", "sasl_username", "topic", "consumer_group", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _password_from_file(self) -> KafkaSettings:
        if self.sasl_password_file is not None:
            self.sasl_password = SecretStr(
                _read_secret(self.sasl_password_file, "the Kafka SASL password")
            )
        return self

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol.startswith("SASL_")

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")


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
    # Bucket prefixes a tenant's media may reference instead of uploads (POST
    # /v1/media/imports); "{tenant}" stands for the caller's tenant, e.g.
    # '["s3://raw-videos/{tenant}/"]'. Empty: referencing buckets is refused (403).
    input_prefixes: list[str] = Field(default_factory=list)


class DatabaseSettings(BaseModel):
    """The records database (tenants, keys, media, datasets, jobs, quotas, audit): PostgreSQL.

    ``url`` is an SQLAlchemy URL (``postgresql+psycopg://user:password@host:5432/farpoint``;
    ``sqlite:///path`` works for a single process); as the chart mounts it, it may come from
    ``url_file`` instead. Unset: no records database (jobs live in the object store only).
    """

    url: SecretStr | None = None
    url_file: Path | None = None
    pool_size: int = Field(5, ge=1)
    connect_timeout_s: float = Field(5.0, gt=0)

    @field_validator("url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _url_from_file(self) -> DatabaseSettings:
        if self.url_file is not None:
            self.url = SecretStr(_read_secret(self.url_file, "the database URL"))
        if self.url is not None:
            # postgresql:// (what CloudNativePG and managed services hand out) means psycopg 3
            url = self.url.get_secret_value()
            for plain in ("postgresql://", "postgres://"):
                if url.startswith(plain):
                    self.url = SecretStr("postgresql+psycopg://" + url[len(plain) :])
        return self


class JobSettings(BaseModel):
    """The job lifecycle and the health of the workers that run it.

    A job whose stages report no progress for ``stall_timeout_s`` is failed by the watchdog
    (checked every ``watchdog_interval_s``; a running handler reports progress every
    ``heartbeat_s``). A worker's liveness probe fails when its poll loop has not turned for
    ``liveness_silence_s`` (wedged) or its consumer failed ``liveness_failures`` times in a row
    (a broker it cannot reach, bad credentials): Kubernetes then restarts it. Readiness
    re-checks the broker, the store and the database every ``readiness_interval_s``.
    Normalization fits once per job, then transforms the job's vectors in batches of
    ``normalize_batch_frames`` rows, one message each, spread over the normalization workers; a
    job of one batch is transformed in place. The default is the core's transform chunk
    (``farpoint.normalize.TRANSFORM_CHUNK``), so every method's picks equal ``farpoint
    select``'s; smaller batches keep PCA and none exact (row by row), not UMAP.
    Retention: ``farpoint admin cleanup`` (the chart's retention CronJob) deletes jobs created
    more than ``ttl_days`` ago that have ended, media uploaded more than ``media_ttl_days`` ago
    that no active job reads (their objects and records), and cache entries no remaining job
    uses; None keeps that kind.
    """

    stall_timeout_s: float = Field(900.0, gt=0)
    watchdog_interval_s: float = Field(30.0, gt=0)
    heartbeat_s: float = Field(60.0, gt=0)
    liveness_silence_s: float = Field(120.0, gt=0)
    liveness_failures: int = Field(5, ge=1)
    readiness_interval_s: float = Field(5.0, gt=0)
    normalize_batch_frames: int = Field(50_000, ge=1)
    ttl_days: float | None = Field(None, gt=0)
    media_ttl_days: float | None = Field(None, gt=0)


LogLevel = Literal["debug", "info", "warning", "error", "critical"]
LOG_LEVELS: tuple[str, ...] = get_args(LogLevel)


def parse_log_level(value: str) -> str:
    """``FARPOINT_LOG_LEVEL`` (the one log-level variable: the services through
    :attr:`Settings.log_level`, the one-shot CLI commands through :mod:`farpoint.cli`), any case.

    Raises :class:`ValueError` with a one-line message naming the choices.
    """
    level = value.strip().lower()
    if level not in LOG_LEVELS:
        raise ValueError(
            f"FARPOINT_LOG_LEVEL={value!r} is not a log level; use one of "
            f"{', '.join(LOG_LEVELS)} (any case)"
        )
    return level


class Settings(BaseSettings):
    """All of farpoint's settings.

    ``service``, ``host``, ``port`` and ``log_level`` are the process's own (``farpoint serve``;
    its ``--host`` / ``--port`` / ``--log-level`` flags win over them). ``host`` defaults to the
    loopback for local runs; a container must listen on all interfaces (the chart sets
    ``FARPOINT_HOST=0.0.0.0``). An unset ``port`` means the service's own default port.
    """

    model_config = SettingsConfigDict(
        env_prefix="FARPOINT_", env_nested_delimiter="__", extra="ignore"
    )

    service: str | None = None
    host: str = "127.0.0.1"
    port: int | None = Field(default=None, ge=1, le=65535)
    log_level: LogLevel = "info"
    cache_dir: Path = Field(default_factory=_cache_dir)
    device: str = "auto"
    dev_mode: bool = True
    s3: S3Settings = Field(default_factory=lambda: S3Settings())
    kafka: KafkaSettings = Field(default_factory=lambda: KafkaSettings())
    security: SecuritySettings = Field(default_factory=lambda: SecuritySettings())
    database: DatabaseSettings = Field(default_factory=lambda: DatabaseSettings())
    jobs: JobSettings = Field(default_factory=lambda: JobSettings())

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return parse_log_level(value) if isinstance(value, str) else value

    @field_validator("service", mode="before")
    @classmethod
    def _blank_service(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests build their own :class:`Settings`).

    A variable that does not validate is a :class:`~farpoint.errors.ConfigError` (exit code 4)
    whose one-line message names the variable, not a multi-line pydantic report.
    """
    try:
        return Settings()
    except ValidationError as exc:
        from farpoint.errors import ConfigError

        problems = []
        for err in exc.errors():
            name = "FARPOINT_" + "__".join(str(part) for part in err["loc"]).upper()
            problems.append(f"{name}: {err['msg']}")
        raise ConfigError("bad setting: " + "; ".join(problems)) from None
