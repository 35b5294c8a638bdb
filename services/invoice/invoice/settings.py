from functools import lru_cache
from typing import Annotated

from pydantic import BaseModel, SecretStr

from kit.settings import BaseServiceSettings, DatabaseSettings, RequiredInProd, service_config
from kit.webhooks import WebhookSettings


class IdentityClientSettings(BaseModel):
    """How invoice reaches identity's signing endpoint (client-credentials token with `identity:sign`)."""

    base_url: Annotated[str, RequiredInProd()] = "http://127.0.0.1:8001"
    # Registered in identity (`python -m identity.clients create --kind internal ...`, deploy/README.md).
    client_id: Annotated[str, RequiredInProd()] = "invoice-service"
    client_secret: Annotated[SecretStr, RequiredInProd()] = SecretStr("")
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


class InvoiceSettings(BaseServiceSettings):
    model_config = service_config("INVOICE_")

    service_name: str = "invoice"
    database: DatabaseSettings = DatabaseSettings(dsn="postgresql+asyncpg://postgres@127.0.0.1:55432/invoice")
    worker_port: int = 8102
    identity: IdentityClientSettings = IdentityClientSettings()
    uploads: UploadSettings = UploadSettings()
    signing: SigningSettings = SigningSettings()
    webhooks: WebhookSettings = WebhookSettings()  # completion webhooks (`invoice.webhooks`, on kit.webhooks)
    public_url: Annotated[str, RequiredInProd()] = "http://127.0.0.1:8002"  # where the public verification endpoint is reached (the PDF's QR)
    run_jobs: bool = True  # process uploads and recover jobs in this process (API and worker both may)


@lru_cache
def get_settings() -> InvoiceSettings:
    return InvoiceSettings()
