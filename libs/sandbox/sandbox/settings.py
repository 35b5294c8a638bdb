"""Sandbox settings, from the environment (`LONTAR_SANDBOX_*`), so `make run` and the tests choose the ports."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.bank import BankConfig


@dataclass(frozen=True)
class SmsProviderConfig:
    """One sandbox SMS provider: its API key (checked on every request) and the secret it signs reports with."""

    name: str
    api_key: str
    webhook_secret: str


DEFAULT_PROVIDERS = (
    SmsProviderConfig("sandbox-a", "sandbox-a-key", "sandbox-a-webhook-secret"),
    SmsProviderConfig("sandbox-b", "sandbox-b-key", "sandbox-b-webhook-secret"),
)


@dataclass(frozen=True)
class SandboxSettings:
    host: str = "127.0.0.1"
    smtp_port: int = 1025
    http_port: int = 8025
    providers: tuple[SmsProviderConfig, ...] = DEFAULT_PROVIDERS
    tls_dir: Path | None = None  # when set, the SMTP server offers STARTTLS with a self-signed certificate kept here
    report_delay_ms: int = 20  # how long after accepting an SMS its delivery report is sent
    keep: int = 50_000  # messages kept in memory (oldest dropped first)
    bank: BankConfig | None = None  # the bank sandbox (POST /bank/pay): payment's API and the bank's client
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> SandboxSettings:
        env = dict(os.environ if env is None else env)
        providers = DEFAULT_PROVIDERS
        if raw := env.get("LONTAR_SANDBOX_SMS_PROVIDERS"):
            providers = tuple(SmsProviderConfig(p["name"], p["api_key"], p["webhook_secret"]) for p in json.loads(raw))
        tls_dir = env.get("LONTAR_SANDBOX_SMTP_TLS_DIR")
        return cls(
            host=env.get("LONTAR_SANDBOX_HOST", "127.0.0.1"),
            smtp_port=int(env.get("LONTAR_SANDBOX_SMTP_PORT", 1025)),
            http_port=int(env.get("LONTAR_SANDBOX_HTTP_PORT", 8025)),
            providers=providers,
            tls_dir=Path(tls_dir) if tls_dir else None,
            report_delay_ms=int(env.get("LONTAR_SANDBOX_REPORT_DELAY_MS", 20)),
            keep=int(env.get("LONTAR_SANDBOX_KEEP", 50_000)),
            bank=BankConfig.from_env(env),
        )

    def env(self) -> dict[str, str]:
        """The environment that makes `python -m sandbox` run with these settings."""
        out = {
            "LONTAR_SANDBOX_HOST": self.host,
            "LONTAR_SANDBOX_SMTP_PORT": str(self.smtp_port),
            "LONTAR_SANDBOX_HTTP_PORT": str(self.http_port),
            "LONTAR_SANDBOX_SMS_PROVIDERS": json.dumps([p.__dict__ for p in self.providers]),
            "LONTAR_SANDBOX_REPORT_DELAY_MS": str(self.report_delay_ms),
            "LONTAR_SANDBOX_KEEP": str(self.keep),
        }
        if self.tls_dir is not None:
            out["LONTAR_SANDBOX_SMTP_TLS_DIR"] = str(self.tls_dir)
        if self.bank is not None:
            out |= self.bank.env()
        return out

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    def sms_base_url(self, provider: str) -> str:
        return f"{self.url}/sms/{provider}"
