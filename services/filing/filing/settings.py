from functools import lru_cache
from typing import Annotated

from pydantic import BaseModel, Field, SecretStr

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


# Development only: committed so that letters made under `make run` verify across restarts; production refuses it
# (`FILING_KSWP__SIGNING_KEY` still the development default). A key of its own: `python -m filing.kswp.signing`.
DEV_KSWP_SIGNING_KEY = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgRCquvvRx79Nsvdg5
O/+ejtm4QjytZLAJ3jOG3/vJFhahRANCAASI88uoXO5m4PuYFM2K9fSna07FijB5
dtTb3OGAXdRf8/HEzMgh7sRnQdwfTuoyFOpbATEr+/wvUOaxXy0W3/fo
-----END PRIVATE KEY-----
"""


class KswpSettings(BaseModel):
    """The KSWP letters' electronic signature: `FILING_KSWP__SIGNING_KEY` (ECDSA P-256 private key, PKCS#8 PEM),
    `FILING_KSWP__PREVIOUS_PUBLIC_KEYS` (JSON list of PEM public keys still published after a rotation, so letters
    signed before it still verify)."""

    signing_key: Annotated[SecretStr, RequiredInProd()] = SecretStr(DEV_KSWP_SIGNING_KEY)
    previous_public_keys: list[str] = []


class FilingSettings(BaseServiceSettings):
    model_config = service_config("FILING_")

    service_name: str = "filing"
    database: DatabaseSettings = DatabaseSettings(dsn="postgresql+asyncpg://postgres@127.0.0.1:55432/filing")
    worker_port: int = 8103
    identity: IdentityClientSettings = IdentityClientSettings()
    kswp: KswpSettings = KswpSettings()
    reference_refresh_s: float = Field(default=30.0, gt=0, description=(
        "how often each process reads the days off and interest rates officers published (filing.reference): "
        "another replica uses a publication within this many seconds (FILING_REFERENCE_REFRESH_S)"))
    public_url: Annotated[str, RequiredInProd()] = "http://127.0.0.1:8003"  # where the public receipt verification is reached (the PDF's QR)


@lru_cache
def get_settings() -> FilingSettings:
    return FilingSettings()
