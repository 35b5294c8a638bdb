from functools import lru_cache
from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr, model_validator

from contracts.notification import COMMANDS_TOPIC
from contracts.topics import events_topic
from kit.settings import BaseServiceSettings, DatabaseSettings, RequiredInProd, service_config


class SealingSettings(BaseModel):
    private_key: Annotated[SecretStr | None, RequiredInProd()] = Field(
        default=None, description="X25519 private key (base64url) that opens the sealed OTP codes identity sends; "
                                  "its public half is identity's IDENTITY_OTP__NOTIFICATION_PUBLIC_KEY")


class SmsProviderSettings(BaseModel):
    """One SMS provider speaking the provider-style HTTP API (`POST {base_url}/v1/messages`, `X-Api-Key`)."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$", description="also the webhook path segment")
    base_url: str
    api_key: SecretStr
    webhook_secret: SecretStr = Field(description="HMAC-SHA256 key of this provider's delivery-report webhooks")
    timeout_s: float = Field(default=2.0, gt=0, le=30)
    connections: int = Field(default=16, ge=1, le=1000, description="calls in flight to this provider at once (the "
                             "timeout counts from when a call has its connection, not while it waits for one)")
    delivery_reports: bool = Field(default=True, description="the provider reports delivery by webhook; if "
                                   "none arrives within delivery.report_timeout_s the message fails over")


class SmsSettings(BaseModel):
    providers: Annotated[list[SmsProviderSettings], RequiredInProd()] = Field(
        default_factory=list, description="in order of preference")


class SmtpSettings(BaseModel):
    name: str = "smtp"
    host: Annotated[str, RequiredInProd()] = "127.0.0.1"
    port: int = 1025
    username: str | None = None
    password: SecretStr | None = None
    starttls: Literal["auto", "require", "off"] = Field(
        default="auto", description="auto: STARTTLS when the server offers it; require: refuse to send without it")
    ca_file: str | None = Field(default=None, description="CA bundle to verify the server (default: system CAs)")
    timeout_s: float = Field(default=10.0, gt=0, le=120)
    sender: str = "Lontar <no-reply@lontar.example>"
    connections: int = Field(default=32, ge=1, le=64, description="connections kept open and reused (each carries one "
                             "message at a time: SMTP is four round trips per message)")


class DeliverySettings(BaseModel):
    max_attempts: int = Field(default=6, ge=1, le=50, description="provider calls per message, all rounds")
    backoff_base_s: float = Field(default=1.0, gt=0)
    backoff_max_s: float = Field(default=60.0, gt=0)
    report_timeout_s: float = Field(default=60.0, gt=0, description="no delivery report by then: fail over")
    lease_s: float = Field(default=120.0, gt=0, description="a claimed message is someone else's to retry after")
    batch_size: int = Field(default=200, ge=1, le=5000)
    concurrency: int = Field(default=200, ge=1, le=5000, description="messages in flight per worker process")
    poll_interval_s: float = Field(default=0.5, gt=0)


class LimitSettings(BaseModel):
    otp_per_destination: int = Field(default=5, ge=1, description="OTP messages per destination per window")
    otp_window_s: int = Field(default=600, ge=1)


class BreakerSettings(BaseModel):
    window: int = Field(default=20, ge=1, description="recent calls per provider the failure rate is taken over")
    window_s: float = Field(default=60.0, gt=0, description="... and no older than this: old trouble is forgotten")
    min_calls: int = Field(default=5, ge=1)
    failure_rate: float = Field(default=0.5, gt=0, le=1, description="open the circuit at this failure rate")
    cooldown_s: float = Field(default=30.0, gt=0, description="skip an open provider this long, then probe it")
    max_cooldown_s: float = Field(default=300.0, gt=0)
    slow_ms: float = Field(default=1500.0, gt=0, description="a provider slower than this (average) is demoted")


class NoticeSettings(BaseModel):
    catch_up_days: int = Field(
        default=7, ge=0, le=366, description="when a taxpayer's e-mail or phone becomes known, the notices of the "
        "last this many days already in the inbox are sent to it; older ones stay in the inbox only (0: none)")


class TopicSettings(BaseModel):
    commands: str = COMMANDS_TOPIC
    identity_events: str = events_topic("identity")
    filing_events: str = events_topic("filing")
    payment_events: str = events_topic("payment")


class NotificationSettings(BaseServiceSettings):
    model_config = service_config("NOTIFICATION_")

    service_name: str = "notification"
    database: DatabaseSettings = DatabaseSettings(dsn="postgresql+asyncpg://postgres@127.0.0.1:55432/notification")
    worker_port: int = 8105
    sealing: SealingSettings = SealingSettings()
    sms: SmsSettings = SmsSettings()
    smtp: SmtpSettings = SmtpSettings()
    delivery: DeliverySettings = DeliverySettings()
    limits: LimitSettings = LimitSettings()
    breaker: BreakerSettings = BreakerSettings()
    notices: NoticeSettings = NoticeSettings()
    topics: TopicSettings = TopicSettings()
    webhook_base_url: str | None = Field(
        default=None, description="public URL of POST /v1/provider-webhooks, sent to providers as callback_url "
                                  "(…/{provider} is appended); unset: reports go where the provider is configured")
    templates_dir: str | None = Field(default=None, description="a folder of template files replacing the "
                                      "packaged ones (same format; every template is validated at start)")
    default_locale: Literal["id", "en"] = "id"

    @model_validator(mode="after")
    def _unique_provider_names(self) -> "NotificationSettings":
        names = [p.name for p in self.sms.providers] + [self.smtp.name]
        if len(set(names)) != len(names):
            raise ValueError("provider names must be unique (SMS providers and the SMTP relay)")
        return self


@lru_cache
def get_settings() -> NotificationSettings:
    return NotificationSettings()
