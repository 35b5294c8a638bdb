"""Settings shared by every service, read from the environment (`<SERVICE>_<SECTION>__<KEY>`).

What production must supply is declared where the setting is, with the `RequiredInProd` marker:

    signing_key: Annotated[SecretStr | None, RequiredInProd()] = None

With `<SERVICE>_ENV=prod` a service refuses to start while any marked setting is unset, empty or still its
development default (the default of the field, or of the service's default for the section, e.g. the DSN in
`DatabaseSettings(dsn=...)`), and names every such variable at once. `required_in_prod(SettingsClass)` lists them
(the deploy manifests' test checks that a ConfigMap or the Secret provides each).

One production check can be relaxed, by name, for the manifest start test only (its broker cannot do it):
`LONTAR_TEST_RELAX_PROD_CHECK=kafka.enable_idempotence`. Nothing else sets that variable.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field, IPvAnyNetwork, SecretStr, model_validator
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

RELAX_ENV = "LONTAR_TEST_RELAX_PROD_CHECK"
RELAXABLE = frozenset({"kafka.enable_idempotence"})  # the embedded test broker has no idempotent producer


class RequiredInProd:
    """`Annotated` marker: production must set this field (see the module docstring)."""

    def __repr__(self) -> str:
        return "RequiredInProd()"


class Environment(StrEnum):
    dev = "dev"
    test = "test"
    prod = "prod"


class DatabaseSettings(BaseModel):
    dsn: Annotated[SecretStr, RequiredInProd()] = Field(
        description="SQLAlchemy URL, postgresql+asyncpg://user:password@host:port/database")
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
    bootstrap_servers: Annotated[str, RequiredInProd()] = "127.0.0.1:9092"
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
    # How long a silent group member keeps its partitions, and (on Tansu) about twice how long joining a group takes.
    # Production keeps Kafka's defaults; the local stack and tests use 2 s so joins and takeovers take about 1 s.
    session_timeout_ms: int = 10_000
    heartbeat_interval_ms: int = 3_000


class AuthSettings(BaseModel):
    jwks_url: Annotated[str, RequiredInProd()] = "http://127.0.0.1:8001/.well-known/jwks.json"
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


class HttpSettings(BaseModel):
    # Request bodies are counted as they are read; a route that takes files says its own limit (kit.app.body_limit).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1, description="largest request body, by default")
    # Peers whose X-Forwarded-For is believed (kit.clientip); any other peer is the client itself. Default: none.
    trusted_proxies: list[IPvAnyNetwork] = Field(default=[], description='e.g. ["10.0.0.0/8"]: the ingress proxies')


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
    http: HttpSettings = HttpSettings()
    # The worker's health server: loopback in development; in a pod, kubelet's probes need the pod's address.
    worker_host: Annotated[str, RequiredInProd()] = "127.0.0.1"
    worker_port: int = Field(default=9000, description="health and metrics of the worker process")
    cors_origins: list[str] = []

    @model_validator(mode="after")
    def _no_dev_shortcuts_in_prod(self) -> BaseServiceSettings:
        if self.env is Environment.prod:
            problems = prod_problems(self)
            if problems:
                raise ValueError(f"{self.env_prefix()}ENV=prod, but {len(problems)} setting(s) are not fit for "
                                 "production:\n" + "\n".join(f"  - {p}" for p in problems))
        return self

    @classmethod
    def env_prefix(cls) -> str:
        return str(cls.model_config.get("env_prefix") or "")


def service_config(prefix: str) -> SettingsConfigDict:
    # hide_input_in_errors: a refusal to start must not print the environment (DSNs, keys) into the pod's log.
    return SettingsConfigDict(env_prefix=prefix, env_nested_delimiter="__", extra="ignore", hide_input_in_errors=True)


def required_in_prod(settings_class: type[BaseServiceSettings]) -> list[str]:
    """The environment variables production must set for this service (the `RequiredInProd` fields)."""
    return [var for var, _, _ in _marked(settings_class, None, settings_class.env_prefix())]


def prod_problems(settings: BaseServiceSettings) -> list[str]:
    """Every reason these settings are not fit for production, each naming its variable; empty when they are."""
    prefix = settings.env_prefix()
    problems = []
    for var, value, dev_default in _marked(type(settings), settings, prefix):
        if _empty(value):
            problems.append(f"{var} is not set")
        elif dev_default is not PydanticUndefined and value == dev_default:
            problems.append(f"{var} is still the development default")
    kafka = settings.kafka
    if kafka.security_protocol.upper().startswith("SASL") and (
            kafka.sasl_password is None or not kafka.sasl_password.get_secret_value()):
        problems.append(f"{prefix}KAFKA__SASL_PASSWORD is not set (security_protocol {kafka.security_protocol})")
    if not kafka.enable_idempotence and not _relaxed("kafka.enable_idempotence"):
        problems.append(f"{prefix}KAFKA__ENABLE_IDEMPOTENCE must be true (the idempotent producer)")
    return problems


def _marked(model: type[BaseModel], value: Any, prefix: str, default: Any = PydanticUndefined,
            path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """(variable, value, development default) of every marked field, nested sections included. The development
    default of a field inside a section is taken from the section's own default when there is one."""
    for name, field in model.model_fields.items():
        var = f"{prefix}{path}{name.upper()}"
        current = getattr(value, name) if value is not None else None
        if default is not PydanticUndefined and isinstance(default, BaseModel):
            dev = getattr(default, name)
        else:
            dev = field.get_default(call_default_factory=True)
        if any(isinstance(m, RequiredInProd) for m in field.metadata):
            yield var, current, dev
            continue
        section = _model_class(field.annotation)
        if section is not None:
            yield from _marked(section, current, prefix, dev, f"{path}{name.upper()}__")


def _model_class(annotation: Any) -> type[BaseModel] | None:
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _empty(value: Any) -> bool:
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    return value is None or (isinstance(value, str | list | dict) and not (value.strip() if isinstance(value, str)
                                                                             else value))


def _relaxed(check: str) -> bool:
    wanted = {name.strip() for name in os.environ.get(RELAX_ENV, "").split(",") if name.strip()}
    unknown = wanted - RELAXABLE
    if unknown:
        raise ValueError(f"{RELAX_ENV} names checks that cannot be relaxed: {', '.join(sorted(unknown))}")
    if check in wanted:
        log.warning("production check %s relaxed by %s (manifest start test only)", check, RELAX_ENV)
        return True
    return False
