from functools import lru_cache
from ipaddress import ip_network

from pydantic import BaseModel, SecretStr, field_validator

from kit.settings import BaseServiceSettings, DatabaseSettings, service_config


class IdentityClientSettings(BaseModel):
    """How invoice reaches identity's signing endpoint (client-credentials token with `identity:sign`)."""

    base_url: str = "http://127.0.0.1:8001"
    client_id: str = "invoice-service"
    client_secret: SecretStr = SecretStr("")
    timeout_s: float = 30.0
    attempts: int = 3


class UploadSettings(BaseModel):
    max_bytes: int = 256 * 1024 * 1024  # a 10,000-invoice file is ~30 MB
    max_invoices: int = 100_000
    lease_s: int = 300  # a crashed processor's claim expires after this; another process takes the file over
    poll_interval_s: float = 1.0


class SigningSettings(BaseModel):
    chunk_size: int = 1000  # digests per call to identity (its cap is 5,000)
    stale_after_s: int = 60  # a running job whose process stopped beating is finished as "resubmit"


class WebhookSettings(BaseModel):
    """Completion webhooks to integrators (`invoice.webhooks`). Each client's signing key is
    HMAC-SHA256(secret, client id), hex: one server secret, a different key per client (GET /v1/webhook-secret)."""

    secret: SecretStr = SecretStr("change-me-webhook-secret")
    timeout_s: float = 10.0
    max_attempts: int = 8
    backoff_base_s: float = 5.0  # attempt n waits base × 2^(n-1), capped
    backoff_cap_s: float = 3600.0
    batch: int = 20
    # SSRF guard (`invoice.webhooks`): a callback never reaches loopback, private (RFC 1918, unique-local IPv6),
    # link-local (cloud metadata 169.254.169.254), CGNAT, multicast, reserved or documentation addresses, checked
    # on the literal at submission and on every resolved address at delivery. These CIDRs are exempted, e.g.
    # `INVOICE_WEBHOOKS__ALLOWED_NETWORKS='["127.0.0.0/8", "::1/128"]'` for a receiver on the developer's machine
    # (`localhost` needs both). Default: none (secure).
    allowed_networks: list[str] = []
    # http:// callbacks: None = accepted except with INVOICE_ENV=prod (https required there); true/false forces it.
    allow_http: bool | None = None

    @field_validator("allowed_networks")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        for cidr in value:
            ip_network(cidr.strip(), strict=False)  # a typo fails at start, not at the first webhook
        return [cidr.strip() for cidr in value]


class InvoiceSettings(BaseServiceSettings):
    model_config = service_config("INVOICE_")

    service_name: str = "invoice"
    database: DatabaseSettings = DatabaseSettings(dsn="postgresql+asyncpg://postgres@127.0.0.1:55432/invoice")
    worker_port: int = 8102
    identity: IdentityClientSettings = IdentityClientSettings()
    uploads: UploadSettings = UploadSettings()
    signing: SigningSettings = SigningSettings()
    webhooks: WebhookSettings = WebhookSettings()
    public_url: str = "http://127.0.0.1:8002"  # where the public verification endpoint is reached (the PDF's QR)
    run_jobs: bool = True  # process uploads and recover jobs in this process (API and worker both may)


@lru_cache
def get_settings() -> InvoiceSettings:
    return InvoiceSettings()
