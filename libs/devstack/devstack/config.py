"""Where everything of the local stack lives. Every address and port is an environment variable."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

SERVICES = ("identity", "invoice", "filing", "payment", "notification")
DEFAULT_API_PORTS = {"identity": 8001, "invoice": 8002, "filing": 8003, "payment": 8004, "notification": 8005}
WORKER_PORT_OFFSET = 100  # identity worker 8101, invoice worker 8102, ...
SANDBOX_SMS_PROVIDERS = ("sandbox-a", "sandbox-b")  # SMS provider sandboxes, in notification's order of preference


@dataclass
class StackConfig:
    data_dir: Path
    host: str = "127.0.0.1"
    pg_port: int = 55432
    broker_port: int = 9092
    database_url: str | None = None  # an external PostgreSQL server (superuser URL): no embedded server then
    kafka_bootstrap: str | None = None  # an external Kafka: no embedded broker then
    kafka_idempotence: bool = False
    api_ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_API_PORTS))
    worker_ports: dict[str, int] = field(
        default_factory=lambda: {s: p + WORKER_PORT_OFFSET for s, p in DEFAULT_API_PORTS.items()})
    durable: bool = True
    log_level: str = "INFO"
    sandbox_smtp_port: int = 1025  # the SMTP sandbox (libs/sandbox)
    sandbox_http_port: int = 8025  # the sandboxes' HTTP API: GET /messages?to=..., SMS provider APIs, controls
    liveness_port: int = 8026  # the face/liveness check sandbox identity's signing credentials call

    @classmethod
    def from_env(cls, root: Path) -> StackConfig:
        env = os.environ
        config = cls(
            data_dir=Path(env.get("LONTAR_DATA_DIR", root / ".data")).resolve(),
            host=env.get("LONTAR_HOST", "127.0.0.1"),
            pg_port=int(env.get("LONTAR_PG_PORT", 55432)),
            broker_port=int(env.get("LONTAR_BROKER_PORT", 9092)),
            database_url=env.get("LONTAR_DATABASE_URL") or None,
            kafka_bootstrap=env.get("LONTAR_KAFKA_BOOTSTRAP") or None,
            kafka_idempotence=env.get("LONTAR_KAFKA_IDEMPOTENCE", "false").lower() == "true",
            log_level=env.get("LONTAR_LOG_LEVEL", "INFO"),
            sandbox_smtp_port=int(env.get("LONTAR_SANDBOX_SMTP_PORT", 1025)),
            sandbox_http_port=int(env.get("LONTAR_SANDBOX_HTTP_PORT", 8025)),
            liveness_port=int(env.get("LONTAR_LIVENESS_PORT", 8026)),
        )
        for service in SERVICES:
            config.api_ports[service] = int(env.get(f"LONTAR_{service.upper()}_PORT", config.api_ports[service]))
            config.worker_ports[service] = int(
                env.get(f"LONTAR_{service.upper()}_WORKER_PORT", config.worker_ports[service]))
        return config

    def api_url(self, service: str) -> str:
        return f"http://{self.host}:{self.api_ports[service]}"

    def worker_url(self, service: str) -> str:
        return f"http://{self.host}:{self.worker_ports[service]}"

    @property
    def liveness_url(self) -> str:
        return f"http://{self.host}:{self.liveness_port}"

    @property
    def sandbox_url(self) -> str:
        return f"http://{self.host}:{self.sandbox_http_port}"
