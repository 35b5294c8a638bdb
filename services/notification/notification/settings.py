from functools import lru_cache

from kit.settings import BaseServiceSettings, DatabaseSettings, service_config


class NotificationSettings(BaseServiceSettings):
    model_config = service_config("NOTIFICATION_")

    service_name: str = "notification"
    database: DatabaseSettings = DatabaseSettings(dsn="postgresql+asyncpg://postgres@127.0.0.1:55432/notification")
    worker_port: int = 8105


@lru_cache
def get_settings() -> NotificationSettings:
    return NotificationSettings()
