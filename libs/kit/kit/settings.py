"""Settings shared by every service, read from the environment (`<SERVICE>_<SECTION>__<KEY>`)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    dev = "dev"
    test = "test"
    prod = "prod"


class DatabaseSettings(BaseModel):
    dsn: SecretStr = Field(description="SQLAlchemy URL, postgresql+asyncpg://user:password@host:port/database")
    pool_size: int = 10
    max_overflow: int = 10
    command_timeout_s: float = 30.0
    connect_timeout_s: float = 5.0

    @property
    def url(self) -> str:
        return self.dsn.get_secret_value()

    @property
    def asyncpg_dsn(self) -> str:
        """The same address for plain asyncpg (the relay's dedicated connection)."""
        return self.url.replace("postgresql+asyncpg://", "postgresql://", 1)


class KafkaSettings(BaseModel):
    bootstrap_servers: str = "127.0.0.1:9092"
    client_id: str | None = None
    # On for production Apache Kafka; the local Tansu broker does not support it (see README).
    enable_idempotence: bool = True
    security_protocol: str = "PLAINTEXT"  # PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL
    ssl_cafile: str | None = Field(default=None, description="CA bundle that signed the brokers' certificates")
    ssl_certfile: str | None = None  # client certificate, for mutual TLS
    ssl_keyfile: str | None = None
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    request_timeout_ms: int = 10_000
    linger_ms: int = 5
    # How long the broker may hold a fetch that found nothing new. Kafka's default (500 ms) is idle latency added
    # to every event on a quiet partition; a short wait trades a few empty fetches for low latency.
    fetch_max_wait_ms: int = 20


class AuthSettings(BaseModel):
    jwks_url: str = "http://127.0.0.1:8001/.well-known/jwks.json"
    issuer: str = "lontar-identity"
    audience: str = "lontar"
    algorithms: list[str] = ["EdDSA", "ES256"]
    leeway_s: int = 30
    jwks_cache_ttl_s: int = 300
    jwks_min_refresh_interval_s: int = 30


class RelaySettings(BaseModel):
    batch_size: int = 500
    poll_interval_s: float = 0.5
    max_backoff_s: float = 10.0
    retention_days: int = 7


class ConsumerSettings(BaseModel):
    max_batch: int = 500
    max_attempts: int = 3
    retry_backoff_s: float = 0.2
    max_backoff_s: float = 10.0


class BaseServiceSettings(BaseSettings):
    """Subclass per service with `model_config = service_config("INVOICE_")`."""

    service_name: str
    env: Environment = Environment.dev
    log_level: str = "INFO"
    database: DatabaseSettings
    kafka: KafkaSettings = KafkaSettings()
    auth: AuthSettings = AuthSettings()
    relay: RelaySettings = RelaySettings()
    consumer: ConsumerSettings = ConsumerSettings()
    worker_host: str = "127.0.0.1"
    worker_port: int = Field(default=9000, description="health and metrics of the worker process")
    cors_origins: list[str] = []

    @model_validator(mode="after")
    def _no_dev_shortcuts_in_prod(self) -> BaseServiceSettings:
        if self.env is Environment.prod and not self.kafka.enable_idempotence:
            raise ValueError("kafka.enable_idempotence must be true in prod")
        return self


def service_config(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, env_nested_delimiter="__", extra="ignore")
