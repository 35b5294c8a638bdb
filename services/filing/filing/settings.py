from functools import lru_cache
from typing import Annotated

from pydantic import BaseModel, SecretStr

from kit.settings import BaseServiceSettings, DatabaseSettings, RequiredInProd, service_config


class IdentityClientSettings(BaseModel):
    """How filing reaches identity's signing endpoint (client-credentials token with `identity:sign`):
    `FILING_IDENTITY__BASE_URL`, `FILING_IDENTITY__CLIENT_ID`, `FILING_IDENTITY__CLIENT_SECRET`."""

    base_url: Annotated[str, RequiredInProd()] = "http://127.0.0.1:8001"
    # Registered in identity (`python -m identity.clients create --kind internal ...`, deploy/README.md).
    client_id: Annotated[str, RequiredInProd()] = "filing-service"
    client_secret: Annotated[SecretStr, RequiredInProd()] = SecretStr("")
    timeout_s: float = 30.0
    attempts: int = 3


class FilingSettings(BaseServiceSettings):
    model_config = service_config("FILING_")

    service_name: str = "filing"
    database: DatabaseSettings = DatabaseSettings(dsn="postgresql+asyncpg://postgres@127.0.0.1:55432/filing")
    worker_port: int = 8103
    identity: IdentityClientSettings = IdentityClientSettings()
    public_url: Annotated[str, RequiredInProd()] = "http://127.0.0.1:8003"  # where the public receipt verification is reached (the PDF's QR)


@lru_cache
def get_settings() -> FilingSettings:
    return FilingSettings()
