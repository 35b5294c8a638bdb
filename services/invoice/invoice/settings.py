from functools import lru_cache

from kit.settings import BaseServiceSettings, DatabaseSettings, service_config


class InvoiceSettings(BaseServiceSettings):
    model_config = service_config("INVOICE_")

    service_name: str = "invoice"
    database: DatabaseSettings = DatabaseSettings(dsn="postgresql+asyncpg://postgres@127.0.0.1:55432/invoice")
    worker_port: int = 8102


@lru_cache
def get_settings() -> InvoiceSettings:
    return InvoiceSettings()
