from functools import lru_cache

from kit.settings import BaseServiceSettings, DatabaseSettings, service_config


class PaymentSettings(BaseServiceSettings):
    model_config = service_config("PAYMENT_")

    service_name: str = "payment"
    database: DatabaseSettings = DatabaseSettings(dsn="postgresql+asyncpg://postgres@127.0.0.1:55432/payment")
    worker_port: int = 8104


@lru_cache
def get_settings() -> PaymentSettings:
    return PaymentSettings()
