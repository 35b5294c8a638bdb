from functools import lru_cache

from kit.settings import BaseServiceSettings, DatabaseSettings, service_config


class FilingSettings(BaseServiceSettings):
    model_config = service_config("FILING_")

    service_name: str = "filing"
    database: DatabaseSettings = DatabaseSettings(dsn="postgresql+asyncpg://postgres@127.0.0.1:55432/filing")
    worker_port: int = 8103


@lru_cache
def get_settings() -> FilingSettings:
    return FilingSettings()
