from functools import lru_cache

from kit.settings import BaseServiceSettings, DatabaseSettings, service_config


class IdentitySettings(BaseServiceSettings):
    model_config = service_config("IDENTITY_")

    service_name: str = "identity"
    database: DatabaseSettings = DatabaseSettings(dsn="postgresql+asyncpg://postgres@127.0.0.1:55432/identity")
    worker_port: int = 8101


@lru_cache
def get_settings() -> IdentitySettings:
    return IdentitySettings()
